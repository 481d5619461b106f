using GraNet.Cli.Commands;
using GraNet.Runtime;
using GraNet.Sparsity;
using GraNet.Training;

namespace GraNet.Cli.Configuration;

/// <summary>
/// The tool's name for each library option, for error messages: the library names an option by its
/// property (<c>SparsityOptions.FinalDensity</c>), <c>granet</c> by its flag (<c>--final-density</c>).
/// </summary>
public static partial class OptionFlags
{
    private static readonly Dictionary<string, string> Names = Build();

    /// <summary>Options that no flag sets, by their <c>--config</c> key.</summary>
    private static readonly Dictionary<string, string> ConfigOnly = new(StringComparer.Ordinal)
    {
        [Key<SparsityOptions>(nameof(SparsityOptions.RegrowthRateMin))] = "sparsity.regrowthRateMin",
        [Key<TrainingOptions>(nameof(TrainingOptions.StopOnCollapse))] = "training.stopOnCollapse",
    };

    /// <summary>A library text (a message, a notice) with every option it names as <c>TrainingOptions.Seed</c> and the like turned into its flag.</summary>
    public static string Rewrite(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return LibraryName().Replace(text, m => Name(m.Value));
    }

    /// <summary>A library text with every option it names turned into <paramref name="name"/> of its qualified key (<c>TrainingOptions.Seed</c>).</summary>
    public static string Rewrite(string text, Func<string, string> name)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(name);
        return LibraryName().Replace(text, m => name(m.Value));
    }

    /// <summary>The key of config.json for a qualified option key: <c>TrainingOptions.Epochs</c> → <c>training.epochs</c>, <c>TorchRuntime.Configure.threads</c> → <c>threads</c>.</summary>
    public static string ConfigKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string[] parts = key.Split('.');
        string? section = parts[0] switch { nameof(TrainingOptions) => "training", nameof(SparsityOptions) => "sparsity", _ => null };
        return section is null || parts.Length != 2 ? parts[^1] : $"{section}.{System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(parts[1])}";
    }

    /// <summary>The key of config.json that a flag of <c>granet train</c> sets (<c>--epochs</c> → <c>training.epochs</c>), or null if it sets none (<c>--output</c>).</summary>
    public static string? ConfigKeyOfFlag(string flag)
    {
        ArgumentNullException.ThrowIfNull(flag);
        foreach (var (key, name) in Names)
        {
            if (name == flag)
            {
                return ConfigKey(key);
            }
        }
        return flag switch
        {
            "--model" => "model",
            "--dataset" => "dataset",
            "--data-dir" => "dataDir",
            "--tensorboard" => "tensorBoard",
            "--preset" => "preset",
            _ => null,
        };
    }

    /// <summary>The flag for a qualified option key (<c>TrainingOptions.Epochs</c> → <c>--epochs</c>); the key itself if it has none.</summary>
    public static string Name(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Names.TryGetValue(key, out string? flag) ? flag
            : ConfigOnly.TryGetValue(key, out string? configKey) ? $"--config key {configKey}"
            : key;
    }

    /// <summary>
    /// The flag for a key of config.json (<c>training.learningRate</c> → <c>--lr</c>, <c>model</c> → <c>--model</c>); a key
    /// no flag sets is named as a <c>--config</c> key.
    /// </summary>
    public static string ForConfigKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string[] parts = key.Split('.', 2);
        string? owner = parts.Length == 2 ? parts[0] switch { "training" => nameof(TrainingOptions), "sparsity" => nameof(SparsityOptions), _ => null } : null;
        if (owner is not null)
        {
            string name = Name($"{owner}.{char.ToUpperInvariant(parts[1][0])}{parts[1][1..]}");
            return name.StartsWith("--", StringComparison.Ordinal) ? name : $"--config key {key}";
        }
        return key switch
        {
            "model" => "--model",
            "dataset" => "--dataset",
            _ => $"--config key {key}",
        };
    }

    /// <summary>The qualified option keys a library text names (<c>TrainingOptions.Epochs</c>), in order.</summary>
    internal static IEnumerable<string> LibraryNames(string text) => LibraryName().Matches(text).Select(m => m.Value);

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(?:TrainingOptions|SparsityOptions|TorchRuntime\.Configure)\.[A-Za-z]+\b")]
    private static partial System.Text.RegularExpressions.Regex LibraryName();

    private static string Key<T>(string property) => $"{typeof(T).Name}.{property}";

    private static Dictionary<string, string> Build()
    {
        var o = new TrainOptions();
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Key<TrainingOptions>(nameof(TrainingOptions.Epochs))] = o.Epochs.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.BatchSize))] = o.BatchSize.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.Optimizer))] = o.Optimizer.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.LearningRate))] = o.LearningRate.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.Momentum))] = o.Momentum.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.Nesterov))] = o.Nesterov.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.WeightDecay))] = o.WeightDecay.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.Schedule))] = o.Schedule.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.Milestones))] = o.Milestones.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.Gamma))] = o.Gamma.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.WarmupEpochs))] = o.Warmup.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.LabelSmoothing))] = o.LabelSmoothing.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.Seed))] = o.Seed.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.ValidationFraction))] = o.Validation.Name,
            [Key<TrainingOptions>(nameof(TrainingOptions.Augment))] = o.Augment.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.Method))] = o.Method.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.Distribution))] = o.Distribution.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.InitDensity))] = o.InitDensity.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.FinalDensity))] = o.FinalDensity.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.UpdateInterval))] = o.UpdateInterval.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.PruneStartEpoch))] = o.PruneStartEpoch.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.PruneEndEpoch))] = o.PruneEndEpoch.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.RegrowthRate))] = o.RegrowthRate.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.Growth))] = o.Growth.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.DenseFirstLayer))] = o.DenseFirst.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.ClassifierRule))] = o.ClassifierRule.Name,
            [Key<SparsityOptions>(nameof(SparsityOptions.RigLStopFraction))] = o.RigLStop.Name,
            [$"{nameof(TorchRuntime)}.{nameof(TorchRuntime.Configure)}.threads"] = o.Threads.Name,
            [$"{nameof(TorchRuntime)}.{nameof(TorchRuntime.Configure)}.cpuKernels"] = o.CpuKernels.Name,
        };
    }
}
