using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GraNet.Cli.Output;
using GraNet.Training;

namespace GraNet.Cli.Studies;

/// <summary>
/// <c>granet report RUN_DIR</c>: PNG charts of a run (loss, accuracy, the density schedule with its
/// update events, final per-layer densities, FLOPs, ever-active share) and <c>report.md</c> embedding them.
/// </summary>
public static class ReportCommand
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static Command Create(TextWriter output)
    {
        var run = new Argument<string>("RUN_DIR") { Description = "A run folder written by 'granet train'" };
        var command = new Command("report", "Draw a run's charts (PNG) and write report.md in its folder.") { run };
        command.SetAction(parse =>
        {
            string path = Write(parse.GetValue(run)!);
            output.WriteLine($"report: {path}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Writes the charts and report.md; returns the report's path.</summary>
    public static string Write(string runDirectory)
    {
        var folder = new RunFolder(runDirectory);
        if (!File.Exists(folder.MetricsFile) && !File.Exists(folder.SummaryFile))
        {
            throw new FileNotFoundException($"{folder.MetricsFile}: not found; 'granet report' takes a run folder written by 'granet train'.", folder.MetricsFile);
        }
        // A run that diverged in its first epoch has a summary but no finished epoch: the report says what happened.
        var epochs = File.Exists(folder.MetricsFile) ? ReadLines(folder.MetricsFile) : [];
        var updates = File.Exists(folder.MaskUpdatesFile) ? ReadLines(folder.MaskUpdatesFile) : [];
        using var summary = File.Exists(folder.SummaryFile) ? ReadDocument(folder.SummaryFile) : null;
        string images = Path.Combine(folder.Path, "report");
        var text = new StringBuilder();
        string title = summary is null ? Path.GetFileName(Path.GetFullPath(folder.Path)) : $"{Text(summary, "model")} on {Text(summary, "dataset")}, {Text(summary, "method")}";
        text.AppendLine(CultureInfo.InvariantCulture, $"# {title}");
        text.AppendLine();
        if (summary is not null)
        {
            text.AppendLine(Outcome(summary.RootElement, ConfiguredEpochs(folder), epochs.Count));
            text.AppendLine();
        }
        if (epochs.Count == 0)
        {
            // Nothing to chart: the run ended in its first epoch.
            string empty = Path.Combine(folder.Path, "report.md");
            AtomicFile.WriteText(empty, text.ToString());
            return empty;
        }

        double[] x = epochs.Select(e => e.GetProperty("epoch").GetDouble()).ToArray();
        Charts.Lines(Path.Combine(images, "loss.png"), "Training loss", "epoch", "loss", [new Charts.Series("train", x, Values(epochs, "trainLoss"))]);
        Embed(text, "Training loss", "loss.png");

        var accuracy = new List<Charts.Series> { new("train", x, Values(epochs, "trainAccuracy")) };
        if (epochs.All(e => e.TryGetProperty("validationAccuracy", out var v) && v.ValueKind == JsonValueKind.Number))
        {
            accuracy.Add(new("validation", x, Values(epochs, "validationAccuracy")));
        }
        Charts.Lines(Path.Combine(images, "accuracy.png"), "Accuracy", "epoch", "accuracy (%)", accuracy);
        Embed(text, "Accuracy", "accuracy.png");

        if (updates.Count > 0)
        {
            double[] steps = updates.Select(u => u.GetProperty("step").GetDouble()).ToArray();
            var prunes = updates.Where(u => u.GetProperty("kind").GetString() == "prune").ToList();
            var series = new List<Charts.Series> { new("density", steps, Values(updates, "density")) };
            if (prunes.Count > 0)
            {
                series.Add(new("pruning events", prunes.Select(u => u.GetProperty("step").GetDouble()).ToArray(), Values(prunes, "density"), MarkersOnly: true));
            }
            var regenerations = updates.Where(u => u.GetProperty("kind").GetString() == "regenerate").ToList();
            if (regenerations.Count > 0)
            {
                // Regeneration follows pruning at the same step and keeps the density: open circles, so the pruning dots show inside.
                series.Add(new("regeneration events", regenerations.Select(u => u.GetProperty("step").GetDouble()).ToArray(), Values(regenerations, "density"), MarkersOnly: true, Hollow: true));
            }
            Charts.Lines(Path.Combine(images, "density.png"), "Density schedule and mask updates", "optimizer step", "density", series);
            Embed(text, "Density schedule and mask updates", "density.png");
            Charts.Lines(Path.Combine(images, "ever-active.png"), "Share of weights ever active (in-time over-parameterisation)", "optimizer step", "ever-active share", [new Charts.Series("ever active", steps, Values(updates, "everActiveFraction"))]);
            Embed(text, "Ever-active share", "ever-active.png");
        }

        if (epochs.All(e => e.TryGetProperty("trainingFlopsRelative", out _)))
        {
            Charts.Lines(Path.Combine(images, "flops.png"), "FLOPs relative to dense", "epoch", "relative FLOPs",
                [new("training (cumulative)", x, Values(epochs, "trainingFlopsRelative")), new("inference (current masks)", x, Values(epochs, "inferenceFlopsRelative"))]);
            Embed(text, "FLOPs relative to dense", "flops.png");
        }

        if (summary is not null && summary.RootElement.TryGetProperty("layers", out var layers))
        {
            var bars = layers.EnumerateArray().Select(l => (l.GetProperty("name").GetString()!.Replace(".weight", string.Empty, StringComparison.Ordinal), l.GetProperty("density").GetDouble())).ToList();
            Charts.Bars(Path.Combine(images, "layers.png"), "Final density per layer", "density", bars);
            Embed(text, "Final density per layer", "layers.png");
        }
        string report = Path.Combine(folder.Path, "report.md");
        AtomicFile.WriteText(report, text.ToString());
        return report;
    }

    /// <summary>The opening line of the report: how the run ended and its numbers.</summary>
    private static string Outcome(JsonElement root, int? configured, int trained)
    {
        string of = configured is { } n ? string.Create(Invariant, $", {n} configured") : string.Empty;
        string outcome = root.TryGetProperty("outcome", out var o) ? o.GetString() ?? "completed" : "completed";
        if (outcome == "diverged")
        {
            string why = root.TryGetProperty("message", out var m) ? m.GetString() ?? string.Empty : string.Empty;
            return string.Create(Invariant, $"**The run diverged** after {trained} finished epoch{(trained == 1 ? string.Empty : "s")}{(configured is { } c ? $" ({c} configured)" : string.Empty)}: {why}{(trained > 0 ? " The charts show the epochs it finished." : string.Empty)}");
        }
        string numbers = string.Create(Invariant, $"test accuracy **{Number(root, "testAccuracy"):F2} %** (epoch {Number(root, "bestEpoch"):0} of {Number(root, "epochs"):0} trained{of}), final density {Number(root, "finalDensity"):0.####}, inference FLOPs {Number(root, "inferenceFlopsRelative"):0.###} and training FLOPs {Number(root, "trainingFlopsRelative"):0.###} of dense, ever-active share {Number(root, "everActiveFraction"):0.###}, {Number(root, "imagesPerSecond"):F0} images/s.");
        return outcome == "collapsed"
            ? $"**The run collapsed**: its loss stayed at chance in the first epoch and it was stopped; {numbers}"
            : char.ToUpperInvariant(numbers[0]) + numbers[1..];
    }

    /// <summary>The epochs the run was configured for (config.json), or null without a readable one.</summary>
    private static int? ConfiguredEpochs(RunFolder folder)
    {
        try
        {
            return File.Exists(folder.ConfigFile) ? Configuration.ConfigurationJson.Deserialize(File.ReadAllText(folder.ConfigFile), folder.ConfigFile).Training.Epochs : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static void Embed(StringBuilder text, string title, string file)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"## {title}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"![{title}](report/{file})");
        text.AppendLine();
    }

    private static JsonDocument ReadDocument(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: damaged JSON ({Runner.OneLine(e.Message)}); it is rewritten at the end of a run: finish the run with 'granet train --resume', or delete the file to report without it.", e);
        }
    }

    private static List<JsonElement> ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: damaged JSON line ({e.Message}).", e);
        }
    }

    private static double[] Values(IEnumerable<JsonElement> rows, string key) =>
        rows.Select(r => r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN).ToArray();

    private static string Text(JsonDocument document, string key) =>
        document.RootElement.TryGetProperty(key, out var v) ? v.ToString() : "?";

    private static double Number(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;
}
