using System.Text.Json.Nodes;
using GraNet.Cli.Output;
using GraNet.Data;
using GraNet.IO;
using GraNet.Models;
using GraNet.Training;

namespace GraNet.Cli.Configuration;

/// <summary>Whether a run saved in a folder was trained with the settings a command would give it now.</summary>
public static class ConfigurationComparison
{
    /// <summary>
    /// Top-level settings of config.json that may change between a run and its continuation, because they do not change
    /// what is trained: <c>threads</c> (<c>train --resume --threads</c> allows another count), <c>cpuKernels</c> (likewise:
    /// a run moved to a CPU without its kernel set continues with another), <c>dataDir</c> (where the
    /// same data set is found), <c>tensorBoard</c> (where extra logs go), <c>evaluationBatchSize</c> (no effect on
    /// results) and <c>preset</c> (only a label: the recipe's values are compared in <c>training</c>).
    /// </summary>
    public static readonly IReadOnlySet<string> MayDiffer = new HashSet<string> { "threads", "cpuKernels", "dataDir", "tensorBoard", "evaluationBatchSize", "preset" };

    /// <summary>
    /// <see cref="MayDiffer"/> for the trainer's check of a checkpoint's configuration, which compares the JSON as written:
    /// with the model and data set too, which it compares by their canonical names itself (a run of an earlier version
    /// wrote an alias, "mlp", where config.json now says "lenet-300-100").
    /// </summary>
    public static readonly IReadOnlySet<string> ResumeMayDiffer = new HashSet<string>(MayDiffer) { "model", "dataset" };

    /// <summary>
    /// The first setting in which <paramref name="saved"/> and <paramref name="current"/> would train differently, or null.
    /// The comparison is by meaning (<see cref="JsonDifference.First"/>), the settings in <see cref="MayDiffer"/> aside;
    /// keys missing from an older config.json take their default, model and data set names are compared as resolved
    /// (<c>lenet5</c> is <c>lenet5-caffe</c>), and no milestones equal the default ones written out.
    /// </summary>
    public static JsonDifference? FirstDifference(RunConfiguration saved, RunConfiguration current)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(current);
        var a = JsonNode.Parse(ConfigurationJson.Serialize(Normalize(saved)));
        var b = JsonNode.Parse(ConfigurationJson.Serialize(Normalize(current)));
        return JsonDifference.First(a, b, MayDiffer);
    }

    /// <summary>
    /// Refuses (<see cref="ArgumentException"/>, one line) to reuse <paramref name="folder"/> if the run saved there was
    /// trained with other settings than <paramref name="current"/>. A folder without config.json passes if it holds no
    /// other run file either (nothing to reuse); with run files but no config.json its settings cannot be checked (<see cref="InvalidDataException"/>).
    /// </summary>
    public static void RequireSameRun(RunFolder folder, RunConfiguration current)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!File.Exists(folder.ConfigFile) && File.Exists(folder.LastCheckpoint))
        {
            // Deleted or lost: the checkpoint keeps the configuration the run was trained with (checked whole first), as for --resume.
            AtomicFile.WriteText(folder.ConfigFile, Checkpoint.ReadVerifiedHeader(folder.LastCheckpoint).Configuration);
        }
        if (!File.Exists(folder.ConfigFile))
        {
            if (folder.HoldsRun)
            {
                throw new InvalidDataException($"{folder.Path} holds a run without config.json or a checkpoint to restore it from, so its settings cannot be checked; delete the run's files (config.json, metrics.jsonl, mask-updates.jsonl, summary.json) in it to train it again, or choose another --output.");
            }
            return;
        }
        var saved = ConfigurationJson.Deserialize(ConfigurationJson.ReadText(folder.ConfigFile, RunFolder.ConfigFix), folder.ConfigFile);
        if (FirstDifference(saved, current) is { } d)
        {
            throw new ArgumentException($"{folder.Path} was trained with {OptionFlags.ForConfigKey(d.Key)} {d.Saved}, but this command gives {d.Current}; rerun with the original options, or choose another --output.");
        }
    }

    private static RunConfiguration Normalize(RunConfiguration c) => c with
    {
        Model = CanonicalModel(c.Model),
        Dataset = CanonicalDataset(c.Dataset),
        Training = c.Training with { Milestones = c.Training.EffectiveMilestones.ToList() },
    };

    /// <summary>The model's canonical name (<c>lenet-300-100</c> for <c>mlp</c>), or the name as written if it is unknown.</summary>
    public static string CanonicalModel(string name) => Resolve(name, n => ModelRegistry.Get(n).Name);

    /// <summary>The data set's canonical name (<c>fashion-mnist</c> for <c>fmnist</c>), or the name as written if it is unknown.</summary>
    public static string CanonicalDataset(string name) => Resolve(name, n => DatasetCatalog.Get(n).Name);

    /// <summary>The canonical name, or the name as written if it is unknown (then it differs from any known one).</summary>
    private static string Resolve(string name, Func<string, string> canonical)
    {
        try
        {
            return canonical(name);
        }
        catch (ArgumentException)
        {
            return name;
        }
    }
}
