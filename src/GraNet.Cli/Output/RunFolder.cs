using System.Globalization;
using System.Text;
using System.Text.Json;
using GraNet.Training;

namespace GraNet.Cli.Output;

/// <summary>The files of one run: config.json, metrics.jsonl, summary.json and the checkpoints. All written atomically.</summary>
public sealed class RunFolder(string path)
{
    /// <summary>The empty file by which a default folder is claimed (created with <see cref="FileMode.CreateNew"/>, so only one process gets it).</summary>
    public const string ClaimFileName = ".granet-run";

    private const int MaxClaimAttempts = 10_000;

    private static readonly JsonSerializerOptions Compact = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private static readonly JsonSerializerOptions Indented = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    /// <summary>Whether <see cref="Create"/> must claim a folder of its own (a default folder) rather than use <see cref="Path"/> as given.</summary>
    private bool claimOnCreate;

    /// <summary>Whether <see cref="Create"/> claimed a new default folder or made the folder given (so it holds nothing but this run).</summary>
    private bool claimed;

    /// <summary>The folder; for a default folder, the final name is known once <see cref="Create"/> has claimed it.</summary>
    public string Path { get; private set; } = path;

    public string ConfigFile => System.IO.Path.Combine(Path, "config.json");

    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.jsonl");

    public string MaskUpdatesFile => System.IO.Path.Combine(Path, "mask-updates.jsonl");

    public string SummaryFile => System.IO.Path.Combine(Path, "summary.json");

    public string LastCheckpoint => Trainer.LastCheckpoint(Path);

    public string BestCheckpoint => Trainer.BestCheckpoint(Path);

    /// <summary>The files <c>granet train</c> writes; a folder holding any of them holds a run that a new run would overwrite.</summary>
    public IEnumerable<string> RunFiles => [ConfigFile, MetricsFile, MaskUpdatesFile, SummaryFile, LastCheckpoint, BestCheckpoint, System.IO.Path.Combine(Path, ClaimFileName)];

    /// <summary>The file a training process holds locked while it writes the folder (<see cref="Lock"/>).</summary>
    public const string LockFileName = ".granet-lock";

    /// <summary>What to do about a run folder's config.json that is no configuration at all (e.g. another file copied over it).</summary>
    public const string ConfigFix = "put back the run's own config.json";

    /// <summary>
    /// Locks the folder for this process until disposed, so that a second <c>granet</c> process (a <c>--resume</c> of a
    /// run still training, a second sweep over the same folder) is refused instead of writing the same files. The lock is
    /// the operating system's (an exclusive <see cref="FileShare.None"/> open, which .NET takes with <c>flock</c>), so it
    /// ends with the process however it ends: a killed run leaves no stale lock. The empty file stays: deleting it on
    /// release would let a process that opened it just before lock a file no longer at the path, beside a third process
    /// locking a new one.
    /// </summary>
    public IDisposable Lock()
    {
        string file = System.IO.Path.Combine(Path, LockFileName);
        try
        {
            return new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
        }
        // A lock file that exists and cannot be opened is another process's lock, unless the file system is read-only
        // (EROFS: the open for writing fails whatever holds the file), which the tool reports as such.
        catch (IOException e) when (File.Exists(file) && e is not FileNotFoundException and not DirectoryNotFoundException && !ReadOnly(e))
        {
            throw new ExitCodeException(ExitCodes.Busy, $"{Path} is being written by another granet process; wait for it to end (or stop it), then continue with {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", Path)} or the command that started it.");
        }
    }

    /// <summary>Whether <paramref name="error"/> is Unix's EROFS (an IOException there carries the errno as its HResult).</summary>
    private static bool ReadOnly(IOException error) => !OperatingSystem.IsWindows() && error.HResult == ReadOnlyFileSystem;

    /// <summary>EROFS on Linux and macOS.</summary>
    private const int ReadOnlyFileSystem = 30;

    /// <summary>The outcome in the run's summary.json (completed, collapsed, diverged), or null before it has one.</summary>
    /// <exception cref="InvalidDataException">The file is not a summary written by <c>granet train</c>.</exception>
    public string? ReadOutcome()
    {
        if (!File.Exists(SummaryFile))
        {
            return null;
        }
        try
        {
            using var summary = JsonDocument.Parse(File.ReadAllText(SummaryFile));
            string? outcome = summary.RootElement.GetProperty("outcome").GetString();
            return Outcomes.Contains(outcome)
                ? outcome
                : throw new InvalidDataException($"{SummaryFile}: outcome {outcome ?? "null"} is none of {string.Join(", ", Outcomes)}; {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", Path)} writes it again from the run's last checkpoint (or delete the folder to train the run again).");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{SummaryFile}: not a summary written by 'granet train' ({e.Message}); {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", Path)} writes it again from the run's last checkpoint (or delete the folder to train the run again).", e);
        }
    }

    /// <summary>The outcomes a summary.json can record: trained to the end, stopped at chance, or stopped by a NaN loss.</summary>
    public static readonly IReadOnlyList<string> Outcomes = ["completed", "collapsed", "diverged"];

    /// <summary>Whether the folder already holds (part of) a run.</summary>
    public bool HoldsRun => RunFiles.Any(File.Exists);

    /// <summary>
    /// A new folder under <paramref name="parent"/> named after time, model, data set and method, e.g.
    /// <c>runs/20261125-010203-lenet5-caffe-fashion-mnist-granet</c>. Nothing is created until <see cref="Create"/>,
    /// which appends <c>-2</c>, <c>-3</c>, … if another run claimed the name first (two runs started in the same second).
    /// </summary>
    public static RunFolder NewDefault(string model, string dataset, string method, string parent = "runs", DateTime? time = null) =>
        new(System.IO.Path.Combine(parent, $"{(time ?? DateTime.Now).ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{model}-{dataset}-{method}")) { claimOnCreate = true };

    /// <summary>Creates the folder; a default folder is first claimed (see <see cref="Claim"/>) and <see cref="Path"/> set to the name it got.</summary>
    public void Create()
    {
        if (claimOnCreate)
        {
            Path = Claim(Path);
            claimOnCreate = false;
            claimed = true;
        }
        else
        {
            if (File.Exists(Path))
            {
                throw new IOException($"--output {Path} is a file; give a folder for the run (it is created if missing).");
            }
            // A folder made here holds nothing but this run: one that is discarded unstarted goes with it.
            claimed = !Directory.Exists(Path);
            Directory.CreateDirectory(Path);
        }
    }

    /// <summary>
    /// Deletes temporary files that a killed process left while writing one of the run's files
    /// (<c>last.ckpt.31969.tmp</c>: <see cref="AtomicFile"/> writes beside the file, then renames). Call with the
    /// folder locked: no other process is writing it then, so every such file is stale.
    /// </summary>
    /// <returns>The files deleted.</returns>
    public IReadOnlyList<string> RemoveStaleTemporaries()
    {
        if (!Directory.Exists(Path))
        {
            return [];
        }
        // The run's files, the best checkpoint staged before it is renamed into place, and the checkpoints kept per epoch.
        var names = RunFiles.Append(BestCheckpoint + ".next").Select(System.IO.Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        return RemoveTemporaries(Path, name => names.Contains(name) || Trainer.KeptEpoch(name) is not null);
    }

    /// <summary>
    /// Deletes temporary files that a killed sweep or study left in <paramref name="folder"/> and its <c>cells/</c> while
    /// writing its tables, records and charts (<c>results.csv.31969.tmp</c>). Call with the folder locked. Its run folders
    /// clean their own when they are resumed.
    /// </summary>
    /// <returns>The files deleted.</returns>
    public static IReadOnlyList<string> RemoveStudyTemporaries(string folder)
    {
        string[] kinds = [".csv", ".md", ".json", ".jsonl", ".png"];
        bool Own(string name) => kinds.Contains(System.IO.Path.GetExtension(name), StringComparer.Ordinal);
        return [.. RemoveTemporaries(folder, Own), .. RemoveTemporaries(System.IO.Path.Combine(folder, "cells"), Own)];
    }

    /// <summary>Deletes <c>NAME.PID.tmp</c> (an <see cref="AtomicFile"/> write) and <c>NAME.tmp.png</c> (a chart's) in <paramref name="folder"/> for the names <paramref name="own"/> accepts.</summary>
    private static List<string> RemoveTemporaries(string folder, Func<string, bool> own)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }
        var stale = Directory.EnumerateFiles(folder, "*.tmp*")
            .Where(f => Written(System.IO.Path.GetFileName(f)) is { } name && own(name))
            .ToList();
        stale.ForEach(File.Delete);
        return stale;
    }

    /// <summary>The file a temporary name is written for: <c>last.ckpt</c> for <c>last.ckpt.31969.tmp</c>, <c>density.png</c> for <c>density.png.tmp.png</c>; null for any other name.</summary>
    internal static string? Written(string temporary)
    {
        const string chart = ".png.tmp.png";
        if (temporary.EndsWith(chart, StringComparison.Ordinal) && temporary.Length > chart.Length)
        {
            return temporary[..^".tmp.png".Length];
        }
        return temporary.Split('.') is { Length: >= 3 } parts && parts[^1] == "tmp" && parts[^2].Length > 0 && parts[^2].All(char.IsAsciiDigit)
            ? string.Join('.', parts[..^2])
            : null;
    }

    /// <summary>
    /// Removes what a new run wrote before it was refused with nothing trained (a density that empties a layer, say),
    /// so that the corrected command can use the folder: a folder this run made (a claimed default one, or a missing
    /// --output) goes whole, a folder that was there loses the run's files.
    /// </summary>
    public void DiscardUnstarted()
    {
        if (claimed)
        {
            Directory.Delete(Path, recursive: true);
            return;
        }
        foreach (string file in new[] { ConfigFile, MetricsFile, MaskUpdatesFile, SummaryFile })
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Creates the first of <paramref name="path"/>, <c>path-2</c>, <c>path-3</c>, … that is new or empty and claims it by
    /// creating <see cref="ClaimFileName"/> in it with <see cref="FileMode.CreateNew"/>: of several processes (or threads)
    /// claiming the same name at once, exactly one succeeds and the others move on to the next name.
    /// </summary>
    /// <returns>The path of the folder claimed.</returns>
    public static string Claim(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        for (int n = 1; n <= MaxClaimAttempts; n++)
        {
            string candidate = n == 1 ? path : string.Create(CultureInfo.InvariantCulture, $"{path}-{n}");
            if (Directory.Exists(candidate) && Directory.EnumerateFileSystemEntries(candidate).Any())
            {
                continue;
            }
            Directory.CreateDirectory(candidate);
            string marker = System.IO.Path.Combine(candidate, ClaimFileName);
            try
            {
                using (new FileStream(marker, FileMode.CreateNew, FileAccess.Write))
                {
                }
                return candidate;
            }
            catch (IOException) when (File.Exists(marker))
            {
                // Another run claimed this name between our check and our claim: try the next one.
            }
        }
        throw new IOException($"{path}: {MaxClaimAttempts} run folders of this name exist already; give the folder with --output.");
    }

    /// <summary>Rewrites metrics.jsonl with one line per epoch (accuracies in percent).</summary>
    public void WriteMetrics(IReadOnlyList<EpochMetrics> history)
    {
        var text = new StringBuilder();
        foreach (var m in history)
        {
            var line = new Dictionary<string, object?>
            {
                ["epoch"] = m.Epoch,
                ["trainLoss"] = Math.Round(m.TrainLoss, 6),
                ["trainAccuracy"] = Percent(m.TrainAccuracy),
                ["validationAccuracy"] = m.ValidationAccuracy is { } v ? Percent(v) : null,
                // 12 significant digits: 0.1 × 0.1 is 0.010000000000000002 in doubles.
                ["learningRate"] = double.Parse(m.LearningRate.ToString("G12", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                ["seconds"] = Math.Round(m.Seconds, 3),
                ["imagesPerSecond"] = Math.Round(m.ImagesPerSecond, 1),
                ["dataWaitSeconds"] = Math.Round(m.DataWaitSeconds, 3),
            };
            if (m.Runtime is { } runtime)
            {
                // Which threads, kernels and convolutions the epoch ran with: a run resumed with others shows where it changed.
                line["threads"] = runtime.Threads;
                line["cpuKernels"] = runtime.CpuKernels is { } kernels ? EnumNames.Of(kernels) : null;
                if (runtime.OneDnnConvolutions is { } oneDnn)
                {
                    // false where the start-up check turned oneDNN's convolutions off (libtorch's own ran them).
                    line["oneDnnConvolutions"] = oneDnn;
                }
            }
            foreach (var (key, value) in m.Scalars)
            {
                line[key] = value;
            }
            text.AppendLine(JsonSerializer.Serialize(line, Compact));
        }
        AtomicFile.WriteText(MetricsFile, text.ToString());
    }

    /// <summary>Writes summary.json.</summary>
    public void WriteSummary(IReadOnlyDictionary<string, object?> summary) =>
        AtomicFile.WriteText(SummaryFile, JsonSerializer.Serialize(summary, Indented));

    public static double Percent(double fraction) => Math.Round(fraction * 100, 2);
}
