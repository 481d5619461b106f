using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GraNet.Data;
using GraNet.Inference;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Training;
using static TorchSharp.torch;

namespace GraNet.Cli.Commands;

/// <summary>
/// <c>granet evaluate --checkpoint FILE</c> and <c>granet infer --model MODEL</c>: test accuracy and
/// inference throughput of a checkpoint or a compact model.
/// </summary>
public static class EvaluateCommand
{
    // Both take either kind of file, so each also answers to the other's name (a checkpoint given to infer as --checkpoint).
    public static Command Create(TextWriter output) => Build(output, "evaluate", "--checkpoint", ["-c", "--model"], "Report the test accuracy of a checkpoint or compact model.", sparseByDefault: false);

    public static Command CreateInfer(TextWriter output) => Build(output, "infer", "--model", ["-m", "--checkpoint"], "Run a compact model (or checkpoint) on a data set's test images with sparse execution: accuracy and throughput.", sparseByDefault: true);

    /// <summary>The default batch of a dense pass, and of an MLP on the sparse engine (LeNet-300-100: calibrated in 0.8 s, 445,000 images/s; 377,000 at 64).</summary>
    private const int LargeBatch = 1000;

    /// <summary>
    /// The default batch of a model with convolutions on the sparse engine: calibration times every kernel on every layer at
    /// the batch served, which at <see cref="LargeBatch"/> took VGG-16 over 5 minutes and 1.6 GB (17 s at this one), and
    /// LeNet-5-Caffe 7.2 s against 1.5 s, which also served faster at 64 (18,000 images/s against 11,900).
    /// </summary>
    private const int ConvolutionalBatch = 64;

    /// <summary>The batch <c>infer</c> and <c>evaluate</c> serve <paramref name="model"/> at when <c>--batch-size</c> is not given.</summary>
    public static int DefaultBatch(nn.Module model, bool sparse) => sparse && model.modules().Any(m => m is TorchSharp.Modules.Conv2d) ? ConvolutionalBatch : LargeBatch;

    private static Command Build(TextWriter output, string name, string fileOption, string[] aliases, string description, bool sparseByDefault)
    {
        var file = new Option<string>(fileOption, aliases) { Description = "A .ckpt file from 'granet train' or a model from 'granet export'", Required = true };
        var dataset = new Option<string?>("--dataset", "-d") { Description = "Data set to run on (default: the one trained on)", CustomParser = r => TrainOptions.DatasetOption(r, "--dataset") };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder holding the data set's test files (default: the folder trained with if it still holds them, else $GRANET_DATA, ~/.cache/granet/datasets, /usr/share/datasets)" };
        var batch = new Option<int?>("--batch-size") { Description = sparseByDefault ? $"Images per forward pass (default {ConvolutionalBatch} for a model with convolutions on the sparse engine, whose calibration at {LargeBatch} takes VGG minutes; {LargeBatch} for an MLP, or with --engine dense)" : $"Images per forward pass (default {LargeBatch}; {ConvolutionalBatch} for a model with convolutions with --engine sparse)" };
        var threads = new Option<int?>("--threads") { Description = "Intra-op threads (default: the run's own, at most this machine's cores)" };
        var engine = new Option<string>("--engine")
        {
            Description = "sparse: each layer on the fastest of dense, our CSR and libtorch's CSR, calibrated at this batch size; dense: libtorch as trained",
            DefaultValueFactory = _ => sparseByDefault ? "sparse" : "dense",
            HelpName = "sparse|dense",
            // Refused as --method or --optimizer are ("--engine 'x' is not one of: sparse, dense").
            CustomParser = r => TrainOptions.OneOf(r, "--engine", "sparse", "dense"),
        };
        var command = new Command(name, description) { file, dataset, dataDir, batch, threads, engine };
        command.SetAction(parse =>
        {
            string path = GivenText.Require(parse.GetValue(file), fileOption, "give a .ckpt file from 'granet train' or a model from 'granet export'")!;
            string? datasetName = GivenText.Require(parse.GetValue(dataset), "--dataset", "give a value, or leave the option out");
            string? dataFolder = GivenText.Require(parse.GetValue(dataDir), "--data-dir", "give a value, or leave the option out");
            int? threadCount = parse.GetValue(threads);
            if (threadCount is { } count)
            {
                TrainOptions.CheckThreads(count);
            }
            using var trained = TrainedModel.Load(path, threadCount);
            var spec = datasetName is { } d ? DatasetCatalog.Get(d) : trained.Dataset;
            if (spec.Shape != trained.Dataset.Shape || spec.Classes != trained.Dataset.Classes)
            {
                throw new ArgumentException($"--dataset {spec.Name} has {spec.Shape} images and {spec.Classes} classes; {path} was trained for {trained.Dataset.Shape} and {trained.Dataset.Classes}.");
            }
            bool wantsSparse = parse.GetValue(engine) == "sparse";
            int batchSize = parse.GetValue(batch) ?? DefaultBatch(trained.Module, wantsSparse);
            if (batchSize < 1)
            {
                throw new ArgumentException($"--batch-size {batchSize} must be at least 1.");
            }
            // Only the test images are read. An explicit --data-dir wins; else the folder the model was trained with is
            // tried (when this is its data set) and passed over for the usual places if the data is no longer there.
            string? savedDir = spec.Name == trained.Dataset.Name ? trained.Configuration.DataDir : null;
            var test = DatasetLoader.LoadTest(spec, dataFolder, savedDir, DataFolder.Locator());
            if (TrainCommand.DataMismatch(spec, test, "test") is { } mismatch)
            {
                // The accuracy below would be quoted under the wrong data set's name.
                output.WriteLine($"note: {mismatch}");
            }
            if (trained.OtherTestImagesNote(spec, test) is { } other)
            {
                output.WriteLine($"note: {other}");
            }
            if (trained.EmptyLayersNote() is { } empty)
            {
                output.WriteLine($"note: {empty}");
            }
            // Where oneDNN's convolutions were found wrong, they run the model's if they compute all of them right; else the
            // figures below are of libtorch's own convolutions (the dense engine's, and a calibrated plan's dense layers).
            using var convolutions = ConvolutionCheck.For(trained.Module, trained.Dataset.Shape);
            if (convolutions.Note is { } convolutionNote)
            {
                output.WriteLine($"note: {convolutionNote}");
            }
            // The model's own input normalisation (that of the data set it was trained on), whatever --dataset gives the images;
            // a batch never larger than the images (its buffers are allocated at full size).
            var loader = new BatchLoader(test, null, trained.Dataset.Mean, trained.Dataset.Std, Math.Min(batchSize, test.Count));
            // Inference: batch normalisation on its running statistics (the sparse form folds them into the convolutions).
            trained.Module.eval();
            using var sparse = wantsSparse && trained.Module is ISequentialNetwork network
                ? new SparseNetwork(network, trained.Dataset.Shape, TorchRuntime.Threads ?? 1)
                : null;
            if (wantsSparse && sparse is null)
            {
                output.WriteLine($"{trained.Model} does not list its layers as stages, so sparse execution cannot run it; it runs dense.");
            }
            if (sparse is not null)
            {
                // Calibrate before the clock starts: the batch sizes the test set is served in (the full one, and the last, smaller one).
                int served = Math.Min(batchSize, test.Count);
                var sizes = new[] { served, test.Count % served }.Where(size => size > 0).Distinct().ToList();
                // Said first: for VGG or a ResNet at a large batch this takes a while.
                output.WriteLine($"calibrating sparse execution at batch {string.Join(" and ", sizes)}...");
                var calibrating = Stopwatch.StartNew();
                foreach (int size in sizes)
                {
                    sparse.Calibrate(size);
                }
                double calibrated = calibrating.Elapsed.TotalSeconds;
                output.WriteLine("sparse execution: " + string.Join(", ", sparse.Calibrations.Where(c => c.Batch == served).Select(c =>
                    string.Create(CultureInfo.InvariantCulture, $"{c.Layer} {BenchInferenceCommand.Name(c.Choice)} ({c.DenseMilliseconds / c.ChosenMilliseconds:F1}x)"))) +
                    (!sparse.UsesPlan(served) ? " -- the dense forward pass was as fast, so it is used"
                        : sparse.RunsSparse(served) ? "" : " -- no layer ran faster sparse; the engine's own pooling and layout, with dense kernels, beat the dense forward pass") +
                    string.Create(CultureInfo.InvariantCulture, $" (calibrated in {calibrated:F1} s)"));
            }
            var clock = Stopwatch.StartNew();
            double accuracy = Trainer.Evaluate(sparse ?? trained.Module, loader, out double forward);
            double seconds = clock.Elapsed.TotalSeconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{trained.Model} ({trained.Description}) on {spec.Name}, {(sparse is null ? "dense" : "sparse")} execution: test accuracy {accuracy * 100:F2}% ({test.Count} images at batch {Math.Min(batchSize, test.Count)}: model {test.Count / forward:F0} images/s, {test.Count / seconds:F0} with data loading); test images from {test.Folder}"));
            return ExitCodes.Success;
        });
        return command;
    }
}
