using System.CommandLine;
using System.Globalization;
using System.Text;
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

    /// <summary>One line of metrics.jsonl: an epoch's numbers (accuracies in percent; FLOPs relative to dense, training's over every step so far).</summary>
    public sealed record Epoch(long Number, double TrainLoss, double TrainAccuracy, double? ValidationAccuracy, double? TrainingFlops, double? InferenceFlops);

    /// <summary>One line of mask-updates.jsonl: the density and ever-active share from this optimizer step until the next update.</summary>
    /// <param name="Kind">initial, prune or regenerate.</param>
    public sealed record Update(long Step, string Kind, double Density, double EverActive);

    /// <summary>A cell of the sweep in <paramref name="folder"/> that has a run to report (the first by name), as an example for the message.</summary>
    private static string SweepCellExample(string folder) =>
        Directory.EnumerateDirectories(folder).Where(d => File.Exists(new RunFolder(d).MetricsFile) || File.Exists(new RunFolder(d).SummaryFile))
            .Order(StringComparer.Ordinal).FirstOrDefault() is { } cell
            ? $"a cell, e.g. {cell}"
            : "a cell, once one has finished an epoch";

    /// <summary>
    /// The title of a run without summary.json (still training, or stopped): its config.json's model, data set and method,
    /// as a finished run's title says them; the folder's name if config.json cannot be read.
    /// </summary>
    private static string UnfinishedTitle(RunFolder folder)
    {
        try
        {
            var configuration = Configuration.ConfigurationJson.Deserialize(Configuration.ConfigurationJson.ReadText(folder.ConfigFile, RunFolder.ConfigFix), folder.ConfigFile);
            return $"{configuration.Model} on {configuration.Dataset}, {Commands.TrainOptions.MethodName(configuration.Sparsity.Method)} (unfinished)";
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return Path.GetFileName(Path.GetFullPath(folder.Path));
        }
    }

    /// <summary>What the report takes from summary.json, checked whole before anything is drawn.</summary>
    private sealed record Summary(string Title, string Outcome, string? Message, IReadOnlyDictionary<string, double> Numbers, IReadOnlyList<(string Label, double Value)>? Layers);

    /// <summary>How to mend a damaged line of metrics.jsonl or mask-updates.jsonl.</summary>
    private const string LineFix = "fix or delete the line, or train the run again";

    private static readonly string[] Kinds = [.. Enum.GetNames<GraNet.Sparsity.MaskUpdateKind>().Select(n => n.ToLowerInvariant())];

    /// <summary>The numbers of a completed or collapsed run's summary that the report's first line gives.</summary>
    /// <remarks>Each with the range it must lie in: a value outside (an accuracy of -5 %) is a damaged file, not a result.</remarks>
    private static readonly (string Key, double Minimum, double Maximum)[] SummaryNumbers =
    [
        ("testAccuracy", 0, 100), ("finalDensity", 0, 1), ("inferenceFlopsRelative", 0, 1), ("trainingFlopsRelative", 0, 1),
        ("everActiveFraction", 0, 1), ("imagesPerSecond", 0, double.MaxValue),
    ];

    public static Command Create(TextWriter output)
    {
        var run = new Argument<string>("RUN_DIR") { Description = "A run folder written by 'granet train'" };
        var command = new Command("report", "Draw a run's charts (PNG) and write report.md in its folder.") { run };
        command.SetAction(parse =>
        {
            string path = Write(Commands.GivenText.Require(parse.GetValue(run), "RUN_DIR", "give the folder of a run written by 'granet train'")!, output);
            output.WriteLine($"report: {path}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Writes the charts and report.md and returns the report's path; what the report has to leave out (a run folder
    /// without its metrics.jsonl, say) is said in the report and, as a note, on <paramref name="output"/>. Every file is
    /// read and checked before anything is written: a damaged one is an <see cref="InvalidDataException"/> naming the
    /// file, the line and the field.
    /// </summary>
    public static string Write(string runDirectory, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var folder = new RunFolder(runDirectory);
        if (!File.Exists(folder.MetricsFile) && !File.Exists(folder.SummaryFile))
        {
            // Told apart: no such folder, a study's folder (whose runs are in its sub-folders), a run that has not finished an epoch.
            string message = File.Exists(runDirectory)
                ? $"{runDirectory} is a file; 'granet report' takes the folder of a run written by 'granet train' (the one holding its metrics.jsonl and summary.json)."
                : !Directory.Exists(runDirectory)
                ? $"{runDirectory}: no such folder; 'granet report' takes a run folder written by 'granet train'."
                : FolderContents.Of(runDirectory) is { Kind: not FolderOutput.Run } held
                    ? $"{runDirectory} holds {held.Text}, not a run; 'granet report' takes one of its run folders ({(held.Kind == FolderOutput.Sweep ? SweepCellExample(runDirectory) : StudyRuns.Named(runDirectory))}); {(held.Kind == FolderOutput.Sweep ? "the sweep's own tables are in its results.md" : "the study's own tables are in its plasticity.md")}."
                    : File.Exists(folder.ConfigFile)
                        ? $"{folder.MetricsFile}: not found: the run has not finished an epoch yet (it was stopped, or is still training); continue it with {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", runDirectory)}, then report."
                        : $"{folder.MetricsFile}: not found; 'granet report' takes a run folder written by 'granet train'.";
            throw new FileNotFoundException(message, folder.MetricsFile);
        }
        var summary = File.Exists(folder.SummaryFile) ? ReadSummary(folder) : null;
        var epochs = File.Exists(folder.MetricsFile) ? ReadEpochs(folder.MetricsFile) : [];
        var updates = File.Exists(folder.MaskUpdatesFile) ? ReadUpdates(folder.MaskUpdatesFile) : [];
        if (summary is null && epochs.Count == 0)
        {
            throw new InvalidDataException($"{folder.MetricsFile} holds no epoch and the folder has no summary.json: there is nothing to report; restore the file from a copy of the run, or train the run again.");
        }

        var notes = new List<string>();
        // A run that diverged in its first epoch has a summary but no finished epoch (so no metrics.jsonl): the report says
        // what happened, without charts. Any other run wrote metrics.jsonl at the end of each epoch it finished.
        bool divergedEarly = summary is { Outcome: "diverged" } && epochs.Count == 0;
        if (summary is null)
        {
            notes.Add($"summary.json is missing: the run has not finished (it was stopped, or is still training), so the report has no test accuracy; the charts show the {Count(epochs.Count, "epoch")} it finished. Finish it with {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", folder.Path)}.");
        }
        else if (epochs.Count == 0 && !divergedEarly)
        {
            notes.Add($"metrics.jsonl is {(File.Exists(folder.MetricsFile) ? "empty" : "missing")}, so the report has no loss, accuracy or FLOPs charts; the file is written at the end of each epoch: restore it from a copy of the run, or train the run again.");
        }
        if (!divergedEarly && updates.Count == 0)
        {
            notes.Add($"mask-updates.jsonl is {(File.Exists(folder.MaskUpdatesFile) ? "empty" : "missing")}, so the report has no density-schedule or ever-active charts; the file is written at the end of each epoch: restore it from a copy of the run, or train the run again.");
        }
        else if (updates.Count > 0 && updates[0].Kind != nameof(GraNet.Sparsity.MaskUpdateKind.Initial).ToLowerInvariant())
        {
            // A run resumed after its log was deleted (as a damaged log's refusal offers) logs from its checkpoint on.
            notes.Add(string.Create(Invariant, $"mask-updates.jsonl begins at step {updates[0].Step}, not with the initial masks: the updates before it were not logged (the file was deleted or lost, and the run resumed from a checkpoint), so the density-schedule and ever-active charts start at step {updates[0].Step}; metrics.jsonl has every epoch's density."));
        }

        string images = Path.Combine(folder.Path, "report");
        if (!divergedEarly && File.Exists(images))
        {
            // The charts go in that folder: refused before anything is printed or written.
            throw new IOException($"{images} is a file, not a folder; the report draws its charts in the folder {images}: move the file away (or delete it), then report again.");
        }
        var text = new StringBuilder();
        string title = summary?.Title ?? UnfinishedTitle(folder);
        text.AppendLine(CultureInfo.InvariantCulture, $"# {title}");
        text.AppendLine();
        if (summary is not null)
        {
            text.AppendLine(Outcome(summary, ConfiguredEpochs(folder, output), epochs.Count));
            text.AppendLine();
        }
        foreach (string note in notes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"**Note**: {note}");
            text.AppendLine();
            output.WriteLine($"note: {folder.Path}: {note}");
        }
        if (divergedEarly)
        {
            // Nothing to chart: the run ended in its first epoch.
            string empty = Path.Combine(folder.Path, "report.md");
            AtomicFile.WriteText(empty, text.ToString());
            return empty;
        }

        if (epochs.Count > 0)
        {
            Charts.Lines(Path.Combine(images, "loss.png"), LossChart(epochs));
            Embed(text, "Training loss", "loss.png");
            Charts.Lines(Path.Combine(images, "accuracy.png"), AccuracyChart(epochs));
            Embed(text, "Accuracy", "accuracy.png");
        }

        if (updates.Count > 0)
        {
            Charts.Lines(Path.Combine(images, "density.png"), DensityChart(updates));
            Embed(text, "Density schedule and mask updates", "density.png");
            Charts.Lines(Path.Combine(images, "ever-active.png"), EverActiveChart(updates));
            Embed(text, "Ever-active share", "ever-active.png");
        }

        if (epochs.Count > 0 && epochs.All(e => e.TrainingFlops is not null && e.InferenceFlops is not null))
        {
            Charts.Lines(Path.Combine(images, "flops.png"), FlopsChart(epochs));
            Embed(text, "FLOPs relative to dense", "flops.png");
        }

        if (summary?.Layers is { } layers)
        {
            Charts.Bars(Path.Combine(images, "layers.png"), "Final density per layer", "density", layers);
            Embed(text, "Final density per layer", "layers.png");
        }
        string report = Path.Combine(folder.Path, "report.md");
        AtomicFile.WriteText(report, text.ToString());
        return report;
    }

    /// <summary>loss.png: the training loss of each epoch (ticks on whole epochs).</summary>
    public static Charts.LineChart LossChart(IReadOnlyList<Epoch> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        return new Charts.LineChart("Training loss", "epoch", "loss", [new Charts.Series("train", [.. epochs.Select(e => (double)e.Number)], [.. epochs.Select(e => e.TrainLoss)])]) { WholeX = true };
    }

    /// <summary>accuracy.png: training accuracy of each epoch, and validation accuracy when every epoch has one (ticks on whole epochs).</summary>
    public static Charts.LineChart AccuracyChart(IReadOnlyList<Epoch> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        double[] x = [.. epochs.Select(e => (double)e.Number)];
        var accuracy = new List<Charts.Series> { new("train", x, [.. epochs.Select(e => e.TrainAccuracy)]) };
        if (epochs.All(e => e.ValidationAccuracy is not null))
        {
            accuracy.Add(new("validation", x, [.. epochs.Select(e => e.ValidationAccuracy!.Value)]));
        }
        return new Charts.LineChart("Accuracy", "epoch", "accuracy (%)", accuracy) { WholeX = true };
    }

    /// <summary>
    /// density.png: the density against the optimizer step, with its pruning and regeneration events. The masks change only
    /// at an update, so the density holds from one update to the next: it is drawn as steps, not as slopes between updates.
    /// </summary>
    public static Charts.LineChart DensityChart(IReadOnlyList<Update> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        var series = new List<Charts.Series> { new("density", [.. updates.Select(u => (double)u.Step)], [.. updates.Select(u => u.Density)], Steps: true) };
        var prunes = updates.Where(u => u.Kind == "prune").ToList();
        if (prunes.Count > 0)
        {
            series.Add(new("pruning events", prunes.Select(u => (double)u.Step).ToArray(), prunes.Select(u => u.Density).ToArray(), MarkersOnly: true));
        }
        var regenerations = updates.Where(u => u.Kind == "regenerate").ToList();
        if (regenerations.Count > 0)
        {
            // Regeneration follows pruning at the same step and keeps the density: open circles, so the pruning dots show inside.
            series.Add(new("regeneration events", regenerations.Select(u => (double)u.Step).ToArray(), regenerations.Select(u => u.Density).ToArray(), MarkersOnly: true, Hollow: true));
        }
        return new Charts.LineChart("Density schedule and mask updates", "optimizer step", "density", series);
    }

    /// <summary>ever-active.png: the share of weights ever active, which also changes only at a mask update: drawn as steps.</summary>
    public static Charts.LineChart EverActiveChart(IReadOnlyList<Update> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        return new Charts.LineChart("Share of weights ever active (in-time over-parameterisation)", "optimizer step", "ever-active share",
            [new Charts.Series("ever active", [.. updates.Select(u => (double)u.Step)], [.. updates.Select(u => u.EverActive)], Steps: true)]);
    }

    /// <summary>
    /// flops.png, for epochs that all have their FLOPs (ticks on whole epochs). The training line is the training FLOPs of every step so far over
    /// those of dense training for as many steps: a ratio of running totals, which falls as pruning goes on (it is not a
    /// running total itself). The inference line is a forward pass with the epoch's masks, relative to a dense one.
    /// </summary>
    public static Charts.LineChart FlopsChart(IReadOnlyList<Epoch> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        double[] x = [.. epochs.Select(e => (double)e.Number)];
        return new Charts.LineChart("FLOPs relative to dense", "epoch", "relative FLOPs",
            [new("training so far, relative to dense training so far", x, [.. epochs.Select(e => e.TrainingFlops ?? double.NaN)]), new("inference (current masks)", x, [.. epochs.Select(e => e.InferenceFlops ?? double.NaN)])])
        {
            WholeX = true,
        };
    }

    /// <summary>metrics.jsonl: one epoch a line, the epochs going up (a repeated or backward epoch is refused, not drawn as a loop).</summary>
    private static List<Epoch> ReadEpochs(string path)
    {
        var epochs = new List<Epoch>();
        int previousLine = 0;
        foreach (var line in RunRecord.ReadLines(path, LineFix))
        {
            var epoch = new Epoch(line.Whole("epoch", 1), line.Number("trainLoss"), line.Number("trainAccuracy"), line.OptionalNumber("validationAccuracy"),
                line.OptionalNumber("trainingFlopsRelative"), line.OptionalNumber("inferenceFlopsRelative"));
            if (epochs.Count > 0 && epoch.Number <= epochs[^1].Number)
            {
                throw line.Error(string.Create(Invariant, $"epoch {epoch.Number} comes after epoch {epochs[^1].Number} (line {previousLine}); the epochs must go up, one line each"));
            }
            epochs.Add(epoch);
            previousLine = line.Line ?? 0;
        }
        return epochs;
    }

    /// <summary>mask-updates.jsonl: one mask update a line, the steps never going back (pruning and regeneration share a step).</summary>
    private static List<Update> ReadUpdates(string path)
    {
        var updates = new List<Update>();
        int previousLine = 0;
        foreach (var line in RunRecord.ReadLines(path, LineFix))
        {
            var update = new Update(line.Whole("step", 0), line.Choice("kind", Kinds), line.Number("density"), line.Number("everActiveFraction"));
            if (updates.Count > 0 && update.Step < updates[^1].Step)
            {
                throw line.Error(string.Create(Invariant, $"step {update.Step} comes after step {updates[^1].Step} (line {previousLine}); the steps must not go back"));
            }
            updates.Add(update);
            previousLine = line.Line ?? 0;
        }
        return updates;
    }

    private static Summary ReadSummary(RunFolder folder)
    {
        var summary = RunRecord.ReadObject(folder.SummaryFile,
            $"it is written at the end of a run: {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", folder.Path)} writes it again from the run's last checkpoint, or delete the file to report without it");
        string title = $"{summary.Text("model")} on {summary.Text("dataset")}, {summary.Text("method")}";
        string outcome = summary.OptionalChoice("outcome", RunFolder.Outcomes) ?? "completed";
        var numbers = new Dictionary<string, double>();
        if (outcome != "diverged")
        {
            // A diverged run's numbers are null; any other run's are all there.
            foreach (var (key, minimum, maximum) in SummaryNumbers)
            {
                numbers[key] = summary.Number(key, minimum, maximum);
            }
            numbers["bestEpoch"] = summary.Whole("bestEpoch", 0);
            numbers["epochs"] = summary.Whole("epochs", 0);
        }
        var layers = summary.OptionalObjects("layers")?.Select(l => (l.Text("name").Replace(".weight", string.Empty, StringComparison.Ordinal), l.Number("density"))).ToList();
        return new Summary(title, outcome, outcome == "diverged" ? summary.OptionalText("message") : null, numbers, layers);
    }

    private static string Count(int n, string noun) => string.Create(Invariant, $"{n} {noun}{(n == 1 ? string.Empty : "s")}");

    /// <summary>The opening line of the report: how the run ended and its numbers.</summary>
    private static string Outcome(Summary summary, int? configured, int trained)
    {
        string of = configured is { } n ? string.Create(Invariant, $", {n} configured") : string.Empty;
        if (summary.Outcome == "diverged")
        {
            string why = summary.Message ?? string.Empty;
            return string.Create(Invariant, $"**The run diverged** after {trained} finished epoch{(trained == 1 ? string.Empty : "s")}{(configured is { } c ? $" ({c} configured)" : string.Empty)}: {why}{(trained > 0 ? " The charts show the epochs it finished." : string.Empty)}");
        }
        var v = summary.Numbers;
        string numbers = string.Create(Invariant, $"test accuracy **{v["testAccuracy"]:F2} %** (epoch {v["bestEpoch"]:0} of {v["epochs"]:0} trained{of}), final density {v["finalDensity"]:0.####}, inference FLOPs {v["inferenceFlopsRelative"]:0.###} and training FLOPs {v["trainingFlopsRelative"]:0.###} of dense, ever-active share {v["everActiveFraction"]:0.###}, {v["imagesPerSecond"]:F0} images/s.");
        return summary.Outcome == "collapsed"
            ? string.Create(Invariant, $"**The run collapsed**: its loss stayed at chance in epoch {trained} and it was stopped; {numbers}")
            : char.ToUpperInvariant(numbers[0]) + numbers[1..];
    }

    /// <summary>The epochs the run was configured for (config.json), or null without a readable one (said in a note).</summary>
    private static int? ConfiguredEpochs(RunFolder folder, TextWriter output)
    {
        try
        {
            return File.Exists(folder.ConfigFile) ? Configuration.ConfigurationJson.Deserialize(Configuration.ConfigurationJson.ReadText(folder.ConfigFile, RunFolder.ConfigFix), folder.ConfigFile).Training.Epochs : null;
        }
        catch (InvalidDataException e)
        {
            output.WriteLine($"note: {Runner.OneLine(e.Message)} The report leaves out the epochs the run was configured for.");
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
}
