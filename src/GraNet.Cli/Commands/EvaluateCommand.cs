using System.CommandLine;
using GraNet.Cli.Configuration;
using GraNet.Data;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Training;

namespace GraNet.Cli.Commands;

/// <summary><c>granet evaluate</c>: test accuracy of a checkpoint.</summary>
public static class EvaluateCommand
{
    public static Command Create(TextWriter output)
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A .ckpt file written by 'granet train'", Required = true };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder holding the data set" };
        var threads = new Option<int?>("--threads") { Description = "Intra-op threads" };
        var command = new Command("evaluate", "Report the test accuracy of a checkpoint.") { checkpoint, dataDir, threads };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(checkpoint)!;
            var header = Checkpoint.ReadHeader(path);
            var configuration = ConfigurationJson.Deserialize(header.Configuration, path);
            var spec = DatasetCatalog.Get(header.Dataset);
            TorchRuntime.Configure(parse.GetValue(threads) ?? configuration.Threads);
            var (_, test) = DatasetLoader.Load(spec, parse.GetValue(dataDir) ?? configuration.DataDir);
            using var model = ModelRegistry.Create(header.Model, spec.Shape, spec.Classes);
            Checkpoint.Load(path, model, null, null);
            var loader = new BatchLoader(test, null, spec.Mean, spec.Std, configuration.EvaluationBatchSize);
            double accuracy = Trainer.Evaluate(model, loader);
            output.WriteLine($"{header.Model} on {spec.Name}, epoch {header.EpochsCompleted}: test accuracy {accuracy * 100:F2}% ({test.Count} images)");
            return ExitCodes.Success;
        });
        return command;
    }
}
