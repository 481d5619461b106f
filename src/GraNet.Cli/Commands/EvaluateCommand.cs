using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GraNet.Data;
using GraNet.Training;

namespace GraNet.Cli.Commands;

/// <summary>
/// <c>granet evaluate --checkpoint FILE</c> and <c>granet infer --model MODEL</c>: test accuracy and
/// inference throughput of a checkpoint or a compact model.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create(TextWriter output) => Build(output, "evaluate", "--checkpoint", "-c", "Report the test accuracy of a checkpoint or compact model.");

    public static Command CreateInfer(TextWriter output) => Build(output, "infer", "--model", "-m", "Run a compact model (or checkpoint) on a data set's test images: accuracy and throughput.");

    private static Command Build(TextWriter output, string name, string fileOption, string alias, string description)
    {
        var file = new Option<string>(fileOption, alias) { Description = "A .ckpt file from 'granet train' or a model from 'granet export'", Required = true };
        var dataset = new Option<string?>("--dataset", "-d") { Description = "Data set to run on (default: the one trained on)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder holding the data set" };
        var batch = new Option<int>("--batch-size") { Description = "Images per forward pass", DefaultValueFactory = _ => 1000 };
        var threads = new Option<int?>("--threads") { Description = "Intra-op threads" };
        var command = new Command(name, description) { file, dataset, dataDir, batch, threads };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            using var trained = TrainedModel.Load(path, parse.GetValue(threads));
            var spec = parse.GetValue(dataset) is { } d ? DatasetCatalog.Get(d) : trained.Dataset;
            if (spec.Shape != trained.Dataset.Shape || spec.Classes != trained.Dataset.Classes)
            {
                throw new ArgumentException($"--dataset {spec.Name} has {spec.Shape} images and {spec.Classes} classes; {path} was trained for {trained.Dataset.Shape} and {trained.Dataset.Classes}.");
            }
            int batchSize = parse.GetValue(batch);
            if (batchSize < 1)
            {
                throw new ArgumentException($"--batch-size {batchSize} must be at least 1.");
            }
            var (_, test) = DatasetLoader.Load(spec, parse.GetValue(dataDir) ?? trained.Configuration.DataDir);
            var loader = new BatchLoader(test, null, spec.Mean, spec.Std, batchSize);
            var clock = Stopwatch.StartNew();
            double accuracy = Trainer.Evaluate(trained.Module, loader);
            double seconds = clock.Elapsed.TotalSeconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{trained.Model} ({trained.Description}) on {spec.Name}: test accuracy {accuracy * 100:F2}% ({test.Count} images, {test.Count / seconds:F0} images/s at batch {batchSize})"));
            return ExitCodes.Success;
        });
        return command;
    }
}
