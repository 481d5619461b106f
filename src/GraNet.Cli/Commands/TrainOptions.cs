using System.Globalization;
using System.CommandLine;
using GraNet.Cli.Configuration;
using GraNet.Cli.Output;
using GraNet.Data;
using GraNet.Runtime;
using GraNet.Sparsity;
using GraNet.Training;

namespace GraNet.Cli.Commands;

/// <summary>
/// The options of <c>granet train</c> and how they become one <see cref="RunConfiguration"/>:
/// defaults, then <c>--preset</c>, then <c>--config FILE</c>, then each option given on the command line.
/// </summary>
public sealed class TrainOptions
{
    /// <summary>The configuration with nothing given, whose values the help names as defaults (a preset or --config may set others).</summary>
    private static readonly RunConfiguration Defaults = new();

    private static string Default(double value) => value.ToString(CultureInfo.InvariantCulture);

    public Option<string?> Model { get; } = new("--model", "-m") { Description = $"Model name (see 'granet list'; default {Defaults.Model})", CustomParser = r => ModelOption(r, "--model") };

    public Option<string?> Dataset { get; } = new("--dataset", "-d") { Description = $"Data set: fashion-mnist, mnist, cifar10, cifar100 (default {Defaults.Dataset})", CustomParser = r => DatasetOption(r, "--dataset") };

    public Option<string?> DataDir { get; } = new("--data-dir") { Description = "Folder holding the data set (else $GRANET_DATA, ~/.cache/granet/datasets, /usr/share/datasets)" };

    public Option<int?> Epochs { get; } = new("--epochs") { Description = $"Training epochs (default {Default(Defaults.Training.Epochs)})" };

    public Option<int?> BatchSize { get; } = new("--batch-size") { Description = $"Mini-batch size (default {Default(Defaults.Training.BatchSize)})" };

    public Option<double?> LearningRate { get; } = new("--lr") { Description = $"Base learning rate (default {Default(Defaults.Training.LearningRate)})" };

    public Option<double?> Momentum { get; } = new("--momentum") { Description = $"SGD momentum (default {Default(Defaults.Training.Momentum)})" };

    public Option<bool?> Nesterov { get; } = new("--nesterov") { Description = "Nesterov momentum (true/false; default true, false with --momentum 0)" };

    public Option<double?> WeightDecay { get; } = new("--weight-decay") { Description = $"L2 weight decay (default {Default(Defaults.Training.WeightDecay)})" };

    public Option<OptimizerKind?> Optimizer { get; } = new("--optimizer") { Description = "Optimizer (default sgd)", CustomParser = r => EnumOption<OptimizerKind>(r, "--optimizer") };

    public Option<LearningRateScheduleKind?> Schedule { get; } = new("--schedule") { Description = "Learning-rate schedule (default multistep)", CustomParser = r => EnumOption<LearningRateScheduleKind>(r, "--schedule") };

    public Option<string?> Milestones { get; } = new("--milestones") { Description = "Epochs after which the rate is multiplied by --gamma, e.g. 80,120 (default: 50 % and 75 % of the epochs)" };

    public Option<double?> Gamma { get; } = new("--gamma") { Description = $"Multi-step factor (default {Default(Defaults.Training.Gamma)})" };

    public Option<double?> Warmup { get; } = new("--warmup-epochs") { Description = "Linear learning-rate warm-up, in epochs (default 0)" };

    public Option<double?> LabelSmoothing { get; } = new("--label-smoothing") { Description = "Label smoothing in [0, 1) (default 0)" };

    public Option<int?> Seed { get; } = new("--seed") { Description = $"Random seed (default {Default(Defaults.Training.Seed)}; same seed, --threads and --cpu-kernels give the same numbers)" };

    public Option<double?> Validation { get; } = new("--validation") { Description = $"Share of the training set held out to select the best epoch (default {Default(Defaults.Training.ValidationFraction)}; 0: report the final epoch)" };

    public Option<bool?> Augment { get; } = new("--augment") { Description = "Random crop (pad 4) and horizontal flip (default: on for CIFAR)" };

    public Option<int?> Threads { get; } = new("--threads") { Description = "Intra-op threads (default: cores, at most 4)" };

    public Option<CpuKernels?> CpuKernels { get; } = new("--cpu-kernels") { Description = "Instruction set of libtorch's CPU kernels; pin one (e.g. avx2) to repeat runs across CPUs (default auto: the best this CPU has)", CustomParser = r => EnumOption<CpuKernels>(r, "--cpu-kernels") };

    public Option<string?> OutputDir { get; } = new("--output", "-o") { Description = "Run folder (default: a new folder under runs/)" };

    public Option<string?> Preset { get; } = new("--preset") { Description = "Recipe: paper-cifar, p1, quick", CustomParser = r => NameOption(r, "--preset", TrainingPresets.All.Select(p => p.Name), name => TrainingPresets.Get(name)) };

    public Option<string?> ConfigFile { get; } = new("--config") { Description = "JSON file with configuration keys (as in a run's config.json)" };

    public Option<string?> TensorBoard { get; } = new("--tensorboard") { Description = "Also write TensorBoard event files to this folder" };

    public Option<string?> Resume { get; } = new("--resume") { Description = "Continue the run in this folder from its last checkpoint" };

    public Option<SparsityMethodKind?> Method { get; } = new("--method") { Description = "Sparse-training method (default dense)", CustomParser = r => EnumOption<SparsityMethodKind>(r, "--method") };

    public Option<DistributionKind?> Distribution { get; } = new("--distribution") { Description = "How the initial density is spread over the layers (default erk)", CustomParser = r => EnumOption<DistributionKind>(r, "--distribution") };

    public Option<double?> InitDensity { get; } = new("--init-density") { Description = "d_i for granet/gmp: 1.0 dense-to-sparse (default), 0.5 sparse-to-sparse" };

    public Option<double?> FinalDensity { get; } = new("--final-density") { Description = "d_f: final density (default 0.05)" };

    public Option<int?> UpdateInterval { get; } = new("--update-interval") { Description = "ΔT: steps between mask updates (default 100)" };

    public Option<double?> PruneStartEpoch { get; } = new("--prune-start-epoch") { Description = "Epoch where gradual pruning starts (default 0)" };

    public Option<double?> PruneEndEpoch { get; } = new("--prune-end-epoch") { Description = "Epoch where gradual pruning ends at d_f (default 10 of 20 epochs, scaled with --epochs)" };

    public Option<double?> RegrowthRate { get; } = new("--regrowth-rate") { Description = "r_0: initial regeneration rate, cosine-decayed (default 0.5)" };

    public Option<GrowthKind?> Growth { get; } = new("--growth") { Description = "Growth criterion (default: the method's own)", CustomParser = r => EnumOption<GrowthKind>(r, "--growth") };

    public Option<bool> DenseFirst { get; } = new("--dense-first") { Description = "Keep the first layer dense" };

    public Option<bool?> ClassifierRule { get; } = new("--classifier-rule") { Description = "Layer-wise methods keep the last layer at density 0.2 past 80 % sparsity (default true)" };

    public Option<double?> RigLStop { get; } = new("--rigl-stop") { Description = "Fraction of training after which RigL stops updating masks (default 0.75; 1 never stops)" };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        // Help shows the values as they are typed (granet-uniform), not the .NET enum names (GraNetUniform).
        foreach (var (option, values) in new (Option Option, Type Values)[]
        {
            (Method, typeof(SparsityMethodKind)), (Distribution, typeof(DistributionKind)), (Growth, typeof(GrowthKind)),
            (Optimizer, typeof(OptimizerKind)), (Schedule, typeof(LearningRateScheduleKind)), (CpuKernels, typeof(CpuKernels)),
        })
        {
            option.HelpName = string.Join("|", EnumNames.All(values));
        }
        foreach (var option in All())
        {
            if (option is Option<double?> real)
            {
                // System.CommandLine reads "0,1" as 1 (a thousands separator): numbers are read in the invariant form only.
                real.CustomParser = r => RealOption(r, real.Name);
            }
            command.Options.Add(option);
        }
    }

    private IEnumerable<Option> All() =>
    [
        Model, Dataset, DataDir, Epochs, BatchSize, LearningRate, Momentum, Nesterov, WeightDecay, Optimizer, Schedule,
        Milestones, Gamma, Warmup, LabelSmoothing, Seed, Validation, Augment, Threads, CpuKernels, OutputDir, Preset, ConfigFile, Resume, TensorBoard,
        Method, Distribution, InitDensity, FinalDensity, UpdateInterval, PruneStartEpoch, PruneEndEpoch, RegrowthRate, Growth, DenseFirst, ClassifierRule, RigLStop,
    ];

    /// <summary>
    /// A library refusal of an option's value (<see cref="OptionValueException"/>), as the tool says it: each option by where
    /// the last <see cref="Resolve"/> took its value from, a flag given, else the <c>--config</c> file's key, else its flag.
    /// </summary>
    public ArgumentException Named(OptionValueException refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return new ArgumentException(Rewrite(refusal.Message), refusal);
    }

    /// <summary>Library option names in <paramref name="message"/> as <see cref="Named"/> says them.</summary>
    public string Rewrite(string message) => OptionFlags.Rewrite(message, sourceName);

    private Func<string, string> sourceName = OptionFlags.Name;

    /// <summary>The <c>--config</c> file whose key <c>dataDir</c> the last <see cref="Resolve"/> took the data folder from; null where <c>--data-dir</c> or nothing gave it.</summary>
    public string? DataDirFile { get; private set; }

    /// <summary>Where the data is looked for, with messages that name the data folder where the last <see cref="Resolve"/> took it from: <c>--data-dir</c>, or a <c>--config</c> file's <c>dataDir</c>.</summary>
    public DataLocator Locator => DataFolder.For(DataDirFile);

    /// <summary>Turns the parsed strings into a typed configuration, once.</summary>
    /// <param name="refuseUnused">Refuse options the run does not use (see the two <c>RefuseUnused</c>): for one run, not for a study whose cells differ in method.</param>
    /// <param name="validateSparsity">Check the sparsity options against the configuration's method; a sweep, whose method is set per cell, checks each cell instead.</param>
    public (RunConfiguration Configuration, RunFolder Folder, bool Resume) Resolve(ParseResult parse, bool refuseUnused = false, bool validateSparsity = true)
    {
        sourceName = OptionFlags.Name;
        DataDirFile = null;
        ArgumentNullException.ThrowIfNull(parse);
        foreach (var text in new[] { Model, Dataset, DataDir, OutputDir, Preset, ConfigFile, TensorBoard, Resume, Milestones })
        {
            GivenText.Require(parse.GetValue(text), text.Name, "give a value, or leave the option out");
        }
        string? resume = parse.GetValue(Resume);
        if (resume is not null)
        {
            // What is trained comes from the run's config.json; where the data is, how many threads, which CPU kernels and where
            // TensorBoard logs go may change (see ConfigurationComparison.MayDiffer). Threads and kernels change the rounding: a run
            // continued with others than its own no longer matches an uninterrupted one, but a run moved to another machine can go on.
            var given = GivenExcept(parse, Resume, Threads, CpuKernels, DataDir, TensorBoard);
            if (given.Count > 0)
            {
                throw new ArgumentException($"--resume continues with the run's own config.json; drop {string.Join(", ", given)} (only --threads, --cpu-kernels, --data-dir and --tensorboard may change).");
            }
            var resumed = new RunFolder(resume);
            if (!File.Exists(resumed.ConfigFile) && File.Exists(resumed.LastCheckpoint))
            {
                // Deleted or lost: the checkpoint keeps the configuration the run was trained with (checked whole first).
                AtomicFile.WriteText(resumed.ConfigFile, Checkpoint.ReadVerifiedHeader(resumed.LastCheckpoint).Configuration);
            }
            if (!File.Exists(resumed.ConfigFile))
            {
                throw new FileNotFoundException(Directory.Exists(resume)
                    ? Studies.FolderContents.Of(resume) is { Kind: not Studies.FolderOutput.Run } held
                        ? $"{resume} holds {held.Text}, not a run; continue it by running its own command again ({(held.Kind == Studies.FolderOutput.Sweep ? Studies.SweepRecord.Read(resume) is { } sweep ? GraNet.IO.ShellQuoting.SetOff(sweep.CommandLine(resume)) : "its results.md's 'Reproduce with' line" : "its plasticity.md's 'Reproduce with' line")}: finished cells are kept, interrupted ones resumed), or give --resume one of its run folders{(held.Kind == Studies.FolderOutput.Sweep ? string.Empty : $" ({Studies.StudyRuns.Named(resume)})")}."
                        : $"{resumed.ConfigFile}: not found; --resume takes a run folder written by 'granet train'."
                    : File.Exists(resume)
                        ? $"--resume {resume} is a file; give the run's folder (the one holding config.json and last.ckpt)."
                        : $"--resume {resume}: no such folder; give a run folder written by 'granet train'.", resumed.ConfigFile);
            }
            RunConfiguration saved;
            try
            {
                saved = ConfigurationJson.Deserialize(ConfigurationJson.ReadText(resumed.ConfigFile, RunFolder.ConfigFix), resumed.ConfigFile);
                // Every value is the file's (an older config.json leaves some out: they take their defaults, which pass).
                FileValues.Require(saved, resumed.ConfigFile, _ => true, (_, _) => false, saved.Sparsity.Method);
            }
            catch (InvalidDataException e) when (File.Exists(resumed.LastCheckpoint))
            {
                // The checkpoint keeps the configuration the run was trained with: a damaged copy need not be mended by hand.
                throw new InvalidDataException($"{e.Message.TrimEnd('.')}, or delete it: --resume then writes it again from {resumed.LastCheckpoint}.", e);
            }
            saved = saved with
            {
                Threads = ThreadsFor(parse, saved.Threads),
                CpuKernels = KernelsFor(parse, saved.CpuKernels, resume),
                DataDir = parse.GetValue(DataDir) ?? SavedDataDir(saved.DataDir, saved.Dataset),
                TensorBoard = parse.GetValue(TensorBoard) ?? saved.TensorBoard,
            };
            return (saved, resumed, true);
        }

        var configuration = new RunConfiguration();
        if (parse.GetValue(Preset) is { } preset)
        {
            configuration = configuration with { Preset = preset, Training = TrainingPresets.Get(preset), Sparsity = TrainingPresets.WithSchedule(preset, configuration.Sparsity) };
        }
        // The keys of config.json that options on the command line set, and those the --config file sets.
        var flagged = All().Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => OptionFlags.ConfigKeyOfFlag(o.Name)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        IReadOnlySet<string> fromFile = new HashSet<string>();
        if (parse.GetValue(ConfigFile) is { } file)
        {
            (configuration, fromFile) = ConfigurationJson.Overlay(configuration, file);
            if (fromFile.Contains("dataDir") && parse.GetValue(DataDir) is null)
            {
                // A folder the file names (a run's config.json given as --config: where that run's data was) is refused as the file's.
                DataDirFile = file;
            }
            var fileKeys = fromFile;
            // Each option by where its value comes from: a flag given, else the --config file's key, else (a default) its flag.
            sourceName = name => OptionFlags.ConfigKey(name) is var key && !flagged.Contains(key) && fileKeys.Contains(key) ? $"--config key {key}" : OptionFlags.Name(name);
            // --epochs scales the milestones and the pruning window with it (below): their relation to the epochs stays the file's.
            var scaled = new HashSet<string>(StringComparer.Ordinal);
            if (parse.GetValue(Milestones) is null)
            {
                scaled.Add("training.milestones");
            }
            if (parse.GetValue(PruneStartEpoch) is null && parse.GetValue(PruneEndEpoch) is null)
            {
                scaled.UnionWith(["sparsity.pruneStartEpoch", "sparsity.pruneEndEpoch"]);
            }
            FileValues.Require(configuration, file, fromFile.Contains,
                (key, other) => flagged.Contains(other) && !(other == "training.epochs" && scaled.Contains(key)),
                parse.GetValue(Method) ?? configuration.Sparsity.Method);
        }
        var training = configuration.Training;
        training = training with
        {
            Epochs = parse.GetValue(Epochs) ?? training.Epochs,
            BatchSize = parse.GetValue(BatchSize) ?? training.BatchSize,
            LearningRate = parse.GetValue(LearningRate) ?? training.LearningRate,
            Momentum = parse.GetValue(Momentum) ?? training.Momentum,
            // --momentum 0 asks for plain SGD: Nesterov (on by default) goes with it unless --nesterov is given too.
            Nesterov = parse.GetValue(Nesterov) ?? (parse.GetValue(Momentum) == 0 ? false : training.Nesterov),
            WeightDecay = parse.GetValue(WeightDecay) ?? training.WeightDecay,
            Optimizer = parse.GetValue(Optimizer) ?? training.Optimizer,
            Schedule = parse.GetValue(Schedule) ?? training.Schedule,
            Milestones = parse.GetValue(Milestones) is { } m ? ParseIntegers(m, "--milestones") : training.Milestones,
            Gamma = parse.GetValue(Gamma) ?? training.Gamma,
            WarmupEpochs = parse.GetValue(Warmup) ?? training.WarmupEpochs,
            LabelSmoothing = parse.GetValue(LabelSmoothing) ?? training.LabelSmoothing,
            Seed = parse.GetValue(Seed) ?? training.Seed,
            ValidationFraction = parse.GetValue(Validation) ?? training.ValidationFraction,
            Augment = parse.GetValue(Augment) ?? training.Augment,
        };
        // Milestones and the pruning window of a preset (or of the defaults) belong to its epoch count; --epochs alone scales them
        // to the new length. A scaled milestone is rounded down, as the default milestones (50 % and 75 % of the epochs) are, so
        // that a preset of 50 % and 75 % scales to the defaults; at least epoch 1 (after the last epoch, a decay changes nothing).
        // Milestones that fall together stay separate decays, as in PyTorch's MultiStepLR.
        double scale = (double)training.Epochs / configuration.Training.Epochs;
        bool rescale = parse.GetValue(Epochs) is not null && training.Epochs != configuration.Training.Epochs;
        if (rescale && parse.GetValue(Milestones) is null && configuration.Training.Milestones.Count > 0)
        {
            int from = configuration.Training.Epochs, to = training.Epochs;
            training = training with { Milestones = configuration.Training.Milestones.Select(x => (int)Math.Max(1, (long)x * to / from)).ToList() };
        }
        if (training.Schedule == LearningRateScheduleKind.MultiStep && training.Milestones.Count == 0)
        {
            // config.json is the resolved configuration: it records the default milestones in force, not an empty list.
            training = training with { Milestones = training.EffectiveMilestones };
        }
        var sparsity = configuration.Sparsity;
        if (rescale && parse.GetValue(PruneStartEpoch) is null && parse.GetValue(PruneEndEpoch) is null)
        {
            sparsity = sparsity with { PruneStartEpoch = sparsity.PruneStartEpoch * scale, PruneEndEpoch = sparsity.PruneEndEpoch * scale };
        }
        sparsity = sparsity with
        {
            Method = parse.GetValue(Method) ?? sparsity.Method,
            Distribution = parse.GetValue(Distribution) ?? sparsity.Distribution,
            InitDensity = parse.GetValue(InitDensity) ?? sparsity.InitDensity,
            FinalDensity = parse.GetValue(FinalDensity) ?? sparsity.FinalDensity,
            UpdateInterval = parse.GetValue(UpdateInterval) ?? sparsity.UpdateInterval,
            PruneStartEpoch = parse.GetValue(PruneStartEpoch) ?? sparsity.PruneStartEpoch,
            PruneEndEpoch = parse.GetValue(PruneEndEpoch) ?? sparsity.PruneEndEpoch,
            RegrowthRate = parse.GetValue(RegrowthRate) ?? sparsity.RegrowthRate,
            Growth = parse.GetValue(Growth) ?? sparsity.Growth,
            DenseFirstLayer = parse.GetValue(DenseFirst) || sparsity.DenseFirstLayer,
            RigLStopFraction = parse.GetValue(RigLStop) ?? sparsity.RigLStopFraction,
            ClassifierRule = parse.GetValue(ClassifierRule) ?? sparsity.ClassifierRule,
        };
        configuration = configuration with
        {
            Sparsity = sparsity,
            Model = parse.GetValue(Model) ?? configuration.Model,
            // The recipe trained is --preset's: a --config file's "preset" does not relabel it.
            Preset = parse.GetValue(Preset) ?? configuration.Preset,
            Dataset = parse.GetValue(Dataset) ?? configuration.Dataset,
            DataDir = parse.GetValue(DataDir) ?? configuration.DataDir,
            Threads = ThreadsFor(parse, configuration.Threads),
            CpuKernels = KernelsFor(parse, configuration.CpuKernels),
            TensorBoard = parse.GetValue(TensorBoard) ?? configuration.TensorBoard,
            Training = training,
        };
        if (refuseUnused)
        {
            RefuseUnused(parse, sparsity);
            RefuseUnused(parse, training);
        }
        try
        {
            training.Validate();
            if (validateSparsity)
            {
                sparsity.Validate(training.Epochs);
            }
        }
        catch (OptionValueException e)
        {
            throw Named(e);
        }
        // Canonical names (lenet-300-100, not the alias mlp typed) for config.json, folder names and titles.
        configuration = configuration with
        {
            Model = ConfigurationComparison.CanonicalModel(configuration.Model),
            Dataset = ConfigurationComparison.CanonicalDataset(configuration.Dataset),
        };
        var folder = parse.GetValue(OutputDir) is { } path ? new RunFolder(path) : RunFolder.NewDefault(configuration.Model, configuration.Dataset, MethodName(sparsity.Method));
        return (configuration, folder, false);
    }

    /// <summary>The command-line spelling of a method (e.g. <c>granet-uniform</c>).</summary>
    public static string MethodName(SparsityMethodKind kind) => EnumName(kind);

    /// <summary>The JSON and command-line name of an enum value (its <c>JsonStringEnumMemberName</c>, else kebab case).</summary>
    public static string EnumName<T>(T value)
        where T : struct, Enum => EnumNames.Of(value);

    /// <summary>An enum option's parser: the value by <see cref="ParseEnum"/>, or a parse error that lists the names.</summary>
    public static T? EnumOption<T>(System.CommandLine.Parsing.ArgumentResult result, string option)
        where T : struct, Enum
    {
        try
        {
            return ParseEnum<T>(result.Tokens[0].Value, option);
        }
        catch (ArgumentException e)
        {
            result.AddError(e.Message);
            return null;
        }
    }

    /// <summary>The parser of an option that takes one of <paramref name="values"/> (ignoring case): the value, or a parse error that lists them, worded as <see cref="EnumOption"/>'s.</summary>
    public static string? OneOf(System.CommandLine.Parsing.ArgumentResult result, string option, params string[] values)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(values);
        string text = result.Tokens[0].Value;
        if (values.FirstOrDefault(v => string.Equals(v, text.Trim(), StringComparison.OrdinalIgnoreCase)) is { } value)
        {
            return value;
        }
        result.AddError($"{option} '{text}' is not one of: {string.Join(", ", values)}.");
        return null;
    }

    /// <summary>
    /// The parser of an option that names a model, data set or preset: the name as given when <paramref name="find"/> knows it
    /// (its aliases too), else a parse error worded as <see cref="EnumOption"/>'s, listing <paramref name="names"/>. A blank
    /// value passes, to be refused as empty (<see cref="GivenText.Require"/>).
    /// </summary>
    /// <param name="find">Looks the name up; throws <see cref="ArgumentException"/> for an unknown one (as <c>ModelRegistry.Get</c> does).</param>
    public static string? NameOption(System.CommandLine.Parsing.ArgumentResult result, string option, IEnumerable<string> names, Action<string> find)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(find);
        string text = result.Tokens[0].Value;
        if (string.IsNullOrWhiteSpace(text))
        {
            return text;
        }
        try
        {
            find(text);
            return text;
        }
        catch (ArgumentException)
        {
            result.AddError($"{option} '{text}' is not one of: {string.Join(", ", names)}.");
            return null;
        }
    }

    /// <summary>The parser of an option that names a model of <c>granet list</c> (<see cref="NameOption"/>).</summary>
    public static string? ModelOption(System.CommandLine.Parsing.ArgumentResult result, string option) =>
        NameOption(result, option, Models.ModelRegistry.All.Select(m => m.Name), name => Models.ModelRegistry.Get(name));

    /// <summary>The parser of an option that names a data set of <c>granet list</c> (<see cref="NameOption"/>).</summary>
    public static string? DatasetOption(System.CommandLine.Parsing.ArgumentResult result, string option) =>
        NameOption(result, option, DatasetCatalog.All.Select(d => d.Name), name => DatasetCatalog.Get(name));

    /// <summary>A real number written as in config.json (<c>0.1</c>, <c>1e-4</c>); a comma is refused rather than read as a thousands separator.</summary>
    public static double? RealOption(System.CommandLine.Parsing.ArgumentResult result, string option)
    {
        ArgumentNullException.ThrowIfNull(result);
        string text = result.Tokens[0].Value;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            return value;
        }
        result.AddError(text.Contains(',', StringComparison.Ordinal)
            ? $"{option} '{text}' is not a number: write decimals with a point ({text.Replace(',', '.')})."
            : $"{option} '{text}' is not a number.");
        return null;
    }

    /// <summary>Parses an enum value written in kebab case (<c>granet-uniform</c>) or as its C# name, ignoring case.</summary>
    public static T ParseEnum<T>(string text, string option)
        where T : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var value in Enum.GetValues<T>())
        {
            if (string.Equals(EnumName(value), text.Trim(), StringComparison.OrdinalIgnoreCase) || string.Equals(value.ToString(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        throw new ArgumentException($"{option} '{text}' is not one of: {string.Join(", ", EnumNames.All(typeof(T)))}.");
    }

    /// <summary>Parses <c>10,15</c> into integers; names the option on failure.</summary>
    public static IReadOnlyList<int> ParseIntegers(string text, string option) =>
        ParseList(text, option, part => int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ArgumentException($"'{part}' is {WholeNumber.OutOfRange(part, int.MinValue, int.MaxValue) ?? "not a whole number"}."), "10,15");

    /// <summary>Parses a density in (0, 1].</summary>
    public static double ParseDensity(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0 && value <= 1
            ? value
            : throw new ArgumentException($"'{text}' is not a density in (0, 1].");

    /// <summary>
    /// Parses a comma-separated list with <paramref name="parse"/>; names the option on failure. An empty entry
    /// (<c>0.1,,0.2</c>, a trailing comma) is refused rather than dropped: it is more likely a value left out than one
    /// comma too many.
    /// </summary>
    /// <param name="example">A valid list for the option, shown in the message about an empty entry.</param>
    public static IReadOnlyList<T> ParseList<T>(string text, string option, Func<string, T> parse, string example = "a,b")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(parse);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException($"{option} is empty; give a comma-separated list such as {example}.");
        }
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
        {
            throw new ArgumentException($"{option} '{text}' has an empty entry; give values separated by single commas, such as {example}.");
        }
        try
        {
            return parts.Select(parse).ToList();
        }
        catch (ArgumentException e)
        {
            // A parser that names the option already (ParseEnum) is not prefixed twice.
            throw new ArgumentException(e.Message.StartsWith(option + " ", StringComparison.Ordinal) ? e.Message : $"{option}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The data folder a run was trained with, to continue it: kept while it holds the data set's files; once it does not
    /// (the data moved), null, so that the usual places are searched instead of the old folder being refused as a wrong <c>--data-dir</c>
    /// that the user never gave.
    /// </summary>
    public static string? SavedDataDir(string? folder, string dataset)
    {
        if (folder is null || !Directory.Exists(folder))
        {
            return null;
        }
        DatasetSpec spec;
        try
        {
            spec = DatasetCatalog.Get(dataset);
        }
        catch (ArgumentException)
        {
            return folder; // an unknown data set is refused, by name, when the run loads its data
        }
        // The folder (or one of its sub-folders for this data set) must still hold every file; else it is passed over.
        return DataLocator.Holding(spec, folder, [.. spec.TrainFiles, .. spec.TestFiles]) is null ? null : folder;
    }

    /// <summary>
    /// The most threads a run may ask for: more than the machine's cores only makes OpenMP's threads wait for each other
    /// (on this project's 2-core machine, 2 threads with one core busy ran a step 10x slower).
    /// </summary>
    public static int MaxThreads => Environment.ProcessorCount;

    /// <summary>
    /// The thread count to run with: <c>--threads</c> if given (refused above the cores), else <paramref name="configured"/>
    /// (the default, a <c>--config</c> file's or a resumed run's, which may come from a machine with more cores)
    /// lowered to the cores of this one.
    /// </summary>
    private int ThreadsFor(ParseResult parse, int configured) => CheckThreads(parse.GetValue(Threads) ?? Math.Min(configured, MaxThreads));

    /// <summary>
    /// <c> --cpu-kernels SET</c> for a study's "Reproduce with" line when the command did not give the option, so that the
    /// line repeats the runs on another CPU too (auto would choose that CPU's set); empty when it was given.
    /// </summary>
    public string KernelsUnlessGiven(ParseResult parse, CpuKernels inForce)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.GetResult(CpuKernels) is { Implicit: false } ? string.Empty : $" --cpu-kernels {EnumName(inForce)}";
    }

    private CpuKernels KernelsFor(ParseResult parse, CpuKernels configured, string? run = null) =>
        KernelsToRun(parse.GetValue(CpuKernels), configured, run, Environment.GetEnvironmentVariable(CpuKernelSets.AtenVariable), CpuKernelSets.IsSupported);

    /// <summary>
    /// The kernel set to run with, never auto on x86-64: <paramref name="given"/> (<c>--cpu-kernels</c>) if any, else
    /// <paramref name="configured"/> (the default auto, a <c>--config</c> file's, or the set a resumed run in
    /// <paramref name="run"/> was trained with), resolved by <see cref="CpuKernelSets.Resolve"/> with
    /// <paramref name="atenVariable"/>. A set that <paramref name="supported"/> refuses is refused, saying what to give instead.
    /// </summary>
    public static CpuKernels KernelsToRun(CpuKernels? given, CpuKernels configured, string? run, string? atenVariable, Func<CpuKernels, bool> supported)
    {
        ArgumentNullException.ThrowIfNull(supported);
        var kernels = CpuKernelSets.Resolve(given ?? configured, atenVariable, supported);
        if (supported(kernels))
        {
            return kernels;
        }
        var widest = CpuKernelSets.Best(supported);
        if (widest == GraNet.Runtime.CpuKernels.Auto)
        {
            throw new ArgumentException($"CPU kernels {EnumName(kernels)}: this CPU is not x86-64 and has none of the pinned sets; give --cpu-kernels auto.");
        }
        string name = EnumName(kernels), best = EnumName(widest);
        if ((given ?? configured) == GraNet.Runtime.CpuKernels.Auto)
        {
            // Auto took the set from ATen's variable (auto alone never picks one the CPU lacks): auto again would too.
            throw new ArgumentException($"{CpuKernelSets.AtenVariable}={atenVariable} asks for {name} CPU kernels, which this CPU does not have (its best is {best}); unset {CpuKernelSets.AtenVariable}, or give --cpu-kernels {best}.");
        }
        throw new ArgumentException(run is not null && given is null
            ? $"{run} was trained with {name} CPU kernels, which this CPU does not have (its best is {best}); continue it on a CPU with {name} for the numbers of an uninterrupted run, or here with --cpu-kernels {best} (the numbers then differ)."
            : $"CPU kernels {name} (--cpu-kernels, or cpuKernels of a --config file): this CPU does not have them (its best is {best}); give --cpu-kernels {best}, or auto.");
    }

    /// <summary>Refuses a <c>--threads</c> below 1 or above the cores (<see cref="MaxThreads"/>), for every command that takes it.</summary>
    /// <returns><paramref name="threads"/>.</returns>
    public static int CheckThreads(int threads)
    {
        if (threads < 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--threads {threads} must be at least 1."));
        }
        if (threads > MaxThreads)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--threads {threads} exceeds the {MaxThreads} cores of this machine (more threads than cores only wait for each other); give at most {MaxThreads}."));
        }
        return threads;
    }

    /// <summary>
    /// Refuses the sparsity options given on the command line that <paramref name="sparsity"/>'s method does not use, so that
    /// none is accepted and silently ignored (e.g. <c>--final-density 0.1</c> without a sparse <c>--method</c> trains dense,
    /// and <c>--distribution</c> spreads no initial mask for a pruning method starting dense).
    /// </summary>
    public void RefuseUnused(ParseResult parse, SparsityOptions sparsity)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(sparsity);
        var method = sparsity.Method;
        string by = $"--method {MethodName(method)}{(parse.GetResult(Method) is { Implicit: false } ? string.Empty : " (the default)")}";
        RefuseGiven(parse, UnusedBy(method), by, method == SparsityMethodKind.Dense ? "choose a sparse --method (e.g. granet, gmp, rigl, static), or " : string.Empty);
        if (sparsity.IsPruningMethod && sparsity.InitDensity >= 1)
        {
            // A dense start has no initial mask to spread over the layers; pruning alone sets their densities.
            RefuseGiven(parse, [Distribution], $"{by} at --init-density 1 (a dense start; pruning sets each layer's density)", "give --init-density below 1 for a sparse start, or ");
        }
    }

    /// <summary>
    /// Refuses the training options given on the command line that the optimizer or schedule does not use: Adam has no
    /// (Nesterov) momentum of SGD's kind, and milestones and their factor belong to the multi-step schedule.
    /// </summary>
    public void RefuseUnused(ParseResult parse, TrainingOptions training)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(training);
        if (training.Optimizer == OptimizerKind.Adam)
        {
            RefuseGiven(parse, [Momentum, Nesterov], "--optimizer adam");
        }
        if (training.Schedule != LearningRateScheduleKind.MultiStep)
        {
            RefuseGiven(parse, [Milestones, Gamma], $"--schedule {EnumName(training.Schedule)} (they belong to --schedule multistep)");
        }
    }

    /// <summary>Refuses those of <paramref name="options"/> given on the command line: "X, Y have no effect with <paramref name="by"/>; [<paramref name="fix"/>]drop them."</summary>
    private static void RefuseGiven(ParseResult parse, IEnumerable<Option> options, string by, string fix = "")
    {
        var given = options.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if (given.Count > 0)
        {
            throw new ArgumentException($"{string.Join(", ", given)} {(given.Count == 1 ? "has" : "have")} no effect with {by}; {fix}drop {(given.Count == 1 ? "it" : "them")}.");
        }
    }

    /// <summary>The sparsity options a method does not read.</summary>
    private IEnumerable<Option> UnusedBy(SparsityMethodKind method)
    {
        bool pruning = SparsityOptions.Prunes(method);
        bool regrows = SparsityOptions.RegrowsWith(method);
        bool updates = method is not (SparsityMethodKind.Static or SparsityMethodKind.Dense);
        bool sparse = method != SparsityMethodKind.Dense;
        return new (Option Option, bool Used)[]
        {
            (Distribution, sparse), (InitDensity, pruning), (FinalDensity, sparse), (UpdateInterval, updates),
            (PruneStartEpoch, pruning), (PruneEndEpoch, pruning), (RegrowthRate, regrows), (Growth, regrows), (DenseFirst, sparse),
            (ClassifierRule, method is SparsityMethodKind.GraNetUniform or SparsityMethodKind.GmpUniform), (RigLStop, method == SparsityMethodKind.RigL),
        }.Where(x => !x.Used).Select(x => x.Option);
    }

    /// <summary>The names of the options given explicitly on the command line, in declaration order, leaving out <paramref name="except"/>.</summary>
    public IReadOnlyList<string> GivenExcept(ParseResult parse, params Option[] except)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return All().Where(o => !except.Contains(o) && parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
    }
}
