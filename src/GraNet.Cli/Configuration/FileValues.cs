using System.Globalization;
using GraNet.Data;
using GraNet.Models;
using GraNet.Sparsity;
using GraNet.Training;

namespace GraNet.Cli.Configuration;

/// <summary>
/// Checks the values a configuration file gives (a <c>--config</c> file, a resumed run's config.json) as that file's: before
/// anything is derived from them (<c>--epochs</c> scales the file's milestones and pruning window), and whether or not an
/// option on the command line replaces them. A value out of range is an <see cref="InvalidDataException"/> that names the
/// file and the key: <c>FILE: training.epochs 0 must be at least 1; fix the file.</c>
/// </summary>
/// <remarks>
/// The ranges are the library's (<see cref="TrainingOptions.Validate"/>, <see cref="SparsityOptions.Validate"/>). A rule that
/// relates a value of the file to one that is replaced before the run (an option given on the command line; <c>--epochs</c>,
/// except for the values it scales along) is left to the check of the run's configuration, which names that option; so is
/// a rule broken by a value the file does not set. The value the rule concerns is then set to one that passes it here,
/// so that the file's other values are still checked.
/// </remarks>
public static class FileValues
{
    /// <param name="configuration">The file's values over the defaults (and a preset's).</param>
    /// <param name="file">The file, as the message names it.</param>
    /// <param name="sets">Whether the file sets a key of config.json (<c>training.epochs</c>).</param>
    /// <param name="replaced">Whether the value of the second key is replaced before the run so that a rule relating the first key to it is no longer the file's.</param>
    /// <param name="method">The method the run uses (<c>--method</c>, if given, replaces the file's): the sparsity rules depend on it.</param>
    public static void Require(RunConfiguration configuration, string file, Func<string, bool> sets, Func<string, string, bool> replaced, SparsityMethodKind method)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(sets);
        ArgumentNullException.ThrowIfNull(replaced);
        RequireAtLeastOne(configuration.Threads, "threads", file, sets);
        RequireAtLeastOne(configuration.EvaluationBatchSize, "evaluationBatchSize", file, sets);
        RequireKnown(configuration.Model, "model", ModelRegistry.All.Select(m => m.Name), name => ModelRegistry.Get(name), file, sets);
        RequireKnown(configuration.Dataset, "dataset", DatasetCatalog.All.Select(d => d.Name), name => DatasetCatalog.Get(name), file, sets);
        if (configuration.Preset is { } preset)
        {
            RequireKnown(preset, "preset", TrainingPresets.All.Select(p => p.Name), name => TrainingPresets.Get(name), file, sets);
        }
        RequireFolder(configuration.DataDir, "dataDir", file, sets);
        RequireFolder(configuration.TensorBoard, "tensorBoard", file, sets);

        var training = configuration.Training;
        Check(training, t => t.Validate(), (t, property) => property switch
        {
            nameof(TrainingOptions.WarmupEpochs) => t with { WarmupEpochs = 0 },
            nameof(TrainingOptions.Nesterov) => t with { Nesterov = false },
            nameof(TrainingOptions.Milestones) => t with { Milestones = [] },
            _ => null,
        }, file, sets, replaced);
        // Epochs is the first rule, and one of the file's own: past it, the run's length is valid.
        int epochs = training.Epochs;
        SparsityOptions? Passing(SparsityOptions s, string property) => property switch
        {
            nameof(SparsityOptions.RegrowthRateMin) => s with { RegrowthRateMin = 0 },
            nameof(SparsityOptions.FinalDensity) => s with { FinalDensity = s.InitDensity },
            nameof(SparsityOptions.PruneEndEpoch) => s with { PruneStartEpoch = 0, PruneEndEpoch = epochs },
            nameof(SparsityOptions.Growth) => s with { Growth = null },
            _ => null,
        };
        Check(configuration.Sparsity with { Method = method }, s => s.Validate(epochs), Passing, file, sets, replaced);
        if (!SparsityOptions.Prunes(method) && (sets("sparsity.pruneStartEpoch") || sets("sparsity.pruneEndEpoch")))
        {
            // The method leaves the pruning window unused, but one that no run could prune in (-1, or an end before the start)
            // is still refused. Its end is not held to this run's epochs: a run's config.json keeps the window of the defaults.
            Check(configuration.Sparsity with { Method = SparsityMethodKind.Gmp, InitDensity = 1, Growth = null }, s => s.Validate(int.MaxValue), Passing, file, sets, replaced);
        }
    }

    /// <summary>
    /// Validates <paramref name="options"/>; refuses the first broken rule that is the file's, and passes over the others
    /// with the value they concern set by <paramref name="passing"/> (null: not known, the remaining rules are left to the run's check).
    /// </summary>
    private static void Check<T>(T options, Action<T> validate, Func<T, string, T?> passing, string file, Func<string, bool> sets, Func<string, string, bool> replaced)
        where T : class
    {
        for (int attempt = 0; attempt < 16; attempt++)
        {
            try
            {
                validate(options);
                return;
            }
            catch (OptionValueException e)
            {
                string key = OptionFlags.ConfigKey($"{e.Owner}.{e.Property}");
                if (sets(key) && !Others(e).Any(other => replaced(key, other)))
                {
                    string text = OptionFlags.Rewrite(e.Message, OptionFlags.ConfigKey).TrimEnd('.');
                    throw new InvalidDataException(text.EndsWith("; drop it", StringComparison.Ordinal) ? $"{file}: {text} from the file." : $"{file}: {text}; fix the file.", e);
                }
                if (passing(options, e.Property) is not { } next)
                {
                    return;
                }
                options = next;
            }
        }
    }

    /// <summary>The other keys a broken rule relates its value to: those its text names, and the epochs that bound a milestone.</summary>
    private static IEnumerable<string> Others(OptionValueException e)
    {
        var named = OptionFlags.LibraryNames(e.Rule).Select(OptionFlags.ConfigKey);
        return e.Property == nameof(TrainingOptions.Milestones) && e.Value is int milestone && milestone >= 1 ? named.Append("training.epochs") : named;
    }

    private static void RequireAtLeastOne(int value, string key, string file, Func<string, bool> sets)
    {
        if (sets(key) && value < 1)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{file}: {key} {value} must be at least 1; fix the file."));
        }
    }

    private static void RequireKnown(string name, string key, IEnumerable<string> known, Action<string> get, string file, Func<string, bool> sets)
    {
        if (!sets(key))
        {
            return;
        }
        try
        {
            get(name);
        }
        catch (ArgumentException)
        {
            throw new InvalidDataException($"{file}: {key} \"{name}\" is not one of: {string.Join(", ", known)} (see 'granet list'); fix the file.");
        }
    }

    private static void RequireFolder(string? path, string key, string file, Func<string, bool> sets)
    {
        if (sets(key) && path is not null && string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidDataException($"{file}: {key} \"{path}\" names no folder; give one, or null; fix the file.");
        }
    }
}
