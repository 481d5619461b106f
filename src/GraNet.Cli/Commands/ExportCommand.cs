using System.CommandLine;
using System.Globalization;
using GraNet.Export;

namespace GraNet.Cli.Commands;

/// <summary><c>granet export</c>: writes a checkpoint's network in compact sparse form and reports the sizes.</summary>
public static class ExportCommand
{
    public static Command Create(TextWriter output)
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A .ckpt file from 'granet train' (last.ckpt or best.ckpt)", Required = true };
        var target = new Option<string>("--output", "-o") { Description = "The compact model file to write", Required = true };
        var command = new Command("export", "Write a trained network in compact sparse form (active values and their positions).") { checkpoint, target };
        command.SetAction(parse =>
        {
            string source = parse.GetValue(checkpoint)!;
            string path = parse.GetValue(target)!;
            if (Directory.Exists(path))
            {
                throw new ArgumentException($"--output {path} is a folder; give a file name, e.g. {Path.Combine(path, "model.gsm")}.");
            }
            using var trained = TrainedModel.Load(source, threads: 1);
            var shape = trained.Dataset.Shape;
            var header = CompactModel.Save(path, trained.Module, new CompactModelHeader(
                trained.Model, trained.Dataset.Name, shape.Channels, shape.Height, shape.Width, trained.Dataset.Classes,
                Configuration.ConfigurationJson.Serialize(trained.Configuration), []));
            long dense = trained.Module.state_dict().Values.Sum(t => t.numel() * t.ElementSize);
            long compact = new FileInfo(path).Length;
            long stored = header.Tensors.Where(t => t.Sparse).Sum(t => t.NonZero);
            long sparseTotal = header.Tensors.Where(t => t.Sparse).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {path}: {compact:N0} bytes, {100.0 * compact / dense:F1} % of the dense model's {dense:N0} bytes ({100.0 * compact / new FileInfo(source).Length:F1} % of the checkpoint file); {header.Tensors.Count(t => t.Sparse)} sparse tensors keep {stored:N0} of {sparseTotal:N0} values"));
            return ExitCodes.Success;
        });
        return command;
    }
}
