using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GraNet.Data;

namespace GraNet.Cli.Commands;

/// <summary>
/// <c>granet bench data</c>: how fast the data pipeline turns a data set's training images into
/// normalised batches (shuffled; with and without crop/flip augmentation), without any model.
/// </summary>
public static class BenchDataCommand
{
    public static Command Create(TextWriter output)
    {
        var dataset = new Option<string>("--dataset", "-d") { Description = "Data set to read", DefaultValueFactory = _ => "fashion-mnist", CustomParser = r => TrainOptions.DatasetOption(r, "--dataset") };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder holding the data set" };
        var batch = new Option<int>("--batch-size") { Description = "Batch size", DefaultValueFactory = _ => 128 };
        var epochs = new Option<int>("--epochs") { Description = "Timed epochs per variant", DefaultValueFactory = _ => 2 };
        var command = new Command("data", "Data pipeline throughput: batches per second from the training images, with and without augmentation (built on one worker thread, as in training; no torch threads, so no --threads).") { dataset, dataDir, batch, epochs };
        command.SetAction(parse =>
        {
            // Every option is checked before anything is read or printed.
            int size = BenchCommand.Count(parse.GetValue(batch), "--batch-size");
            int n = BenchCommand.Count(parse.GetValue(epochs), "--epochs");
            var spec = DatasetCatalog.Get(parse.GetValue(dataset)!);
            var clock = Stopwatch.StartNew();
            var (train, _) = DatasetLoader.Load(spec, GivenText.Require(parse.GetValue(dataDir), "--data-dir", "give a value, or leave the option out"), DataFolder.Locator());
            if (size > train.Count)
            {
                // As train refuses it: a batch the data cannot fill (and a huge one allocates its size before the first image).
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--batch-size {size} must not exceed the {train.Count} training images of {train.Folder}."));
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{spec.Name}: {train.Count} training images {spec.Shape} loaded and decoded in {clock.Elapsed.TotalSeconds:F2} s"));
            var loader = new BatchLoader(train, null, spec.Mean, spec.Std, size);
            foreach (bool augment in new[] { false, true })
            {
                long images = 0;
                clock.Restart();
                for (int epoch = 1; epoch <= n; epoch++)
                {
                    foreach (var b in loader.Epoch(epoch, shuffle: true, augment, seed: 1))
                    {
                        images += b.Count;
                    }
                }
                double seconds = clock.Elapsed.TotalSeconds;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batches of {size}, shuffled, {(augment ? "crop + flip" : "no augmentation")}: {images / seconds:N0} images/s ({seconds / n:F3} s per epoch)"));
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
