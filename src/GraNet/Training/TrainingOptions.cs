namespace GraNet.Training;

/// <summary>Everything that decides how a model is trained. Validated by <see cref="Validate"/>.</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 20;

    public int BatchSize { get; init; } = 128;

    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

    public double LearningRate { get; init; } = 0.1;

    public double Momentum { get; init; } = 0.9;

    public bool Nesterov { get; init; } = true;

    public double WeightDecay { get; init; } = 5e-4;

    public LearningRateScheduleKind Schedule { get; init; } = LearningRateScheduleKind.MultiStep;

    /// <summary>Epochs after which the rate is multiplied by <see cref="Gamma"/>; empty: 50 % and 75 % of <see cref="Epochs"/>.</summary>
    public IReadOnlyList<int> Milestones { get; init; } = [];

    public double Gamma { get; init; } = 0.1;

    /// <summary>Epochs of linear warm-up from 0 to the base rate (per step).</summary>
    public double WarmupEpochs { get; init; }

    public double LabelSmoothing { get; init; }

    public int Seed { get; init; } = 17;

    /// <summary>Share of the training set held out to select the best epoch (0: none, the final epoch is reported).</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Random crop and flip; null: the data set's default (on for CIFAR).</summary>
    public bool? Augment { get; init; }

    /// <summary>Stop a run whose mean training loss of an epoch is not below ln(classes) − 0.02 (Trainer.CollapseMargin): at chance, it learns nothing more.</summary>
    public bool StopOnCollapse { get; init; } = true;

    /// <summary>The milestones in force: the given ones, or 50 % and 75 % of the epochs.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<int> EffectiveMilestones => Milestones.Count > 0 ? Milestones : new[] { Epochs / 2, Epochs * 3 / 4 }.Where(m => m >= 1).ToArray();

    /// <summary>Throws <see cref="OptionValueException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        // A value cast from a number that names no member is refused like any other out of range.
        Require(Enum.IsDefined(Optimizer), nameof(Optimizer), Optimizer, $"must be one of {string.Join(", ", EnumNames.All(typeof(OptimizerKind)))}");
        Require(Enum.IsDefined(Schedule), nameof(Schedule), Schedule, $"must be one of {string.Join(", ", EnumNames.All(typeof(LearningRateScheduleKind)))}");
        Require(Epochs >= 1, nameof(Epochs), Epochs, "must be at least 1");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be a positive number");
        // Optimizers compute in 32-bit floats: a larger value cannot be handed to libtorch.
        Require(LearningRate <= float.MaxValue, nameof(LearningRate), LearningRate, "must be at most 3.4e38 (optimizers compute in 32-bit floats)");
        Require(Momentum is >= 0 and < 1, nameof(Momentum), Momentum, "must be in [0, 1)");
        Require(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must be 0 or more");
        Require(WeightDecay <= float.MaxValue, nameof(WeightDecay), WeightDecay, "must be at most 3.4e38 (optimizers compute in 32-bit floats)");
        Require(Gamma is > 0 and <= 1, nameof(Gamma), Gamma, "must be in (0, 1]");
        Require(WarmupEpochs >= 0 && WarmupEpochs < Epochs, nameof(WarmupEpochs), WarmupEpochs, $"must be in [0, {Name(nameof(Epochs))})");
        Require(LabelSmoothing is >= 0 and < 1, nameof(LabelSmoothing), LabelSmoothing, "must be in [0, 1)");
        Require(ValidationFraction is >= 0 and < 1, nameof(ValidationFraction), ValidationFraction, "must be in [0, 1)");
        Require(!Nesterov || Optimizer != OptimizerKind.Sgd || Momentum > 0, nameof(Nesterov), Nesterov, $"needs a {Name(nameof(Momentum))} above 0");
        foreach (int milestone in Milestones)
        {
            Require(milestone >= 1 && milestone <= Epochs, nameof(Milestones), milestone, FormattableString.Invariant($"must lie in 1..{Epochs}"));
        }
    }

    private static string Name(string property) => $"{nameof(TrainingOptions)}.{property}";

    private static void Require(bool condition, string property, object? value, string rule)
    {
        if (!condition)
        {
            throw new OptionValueException(nameof(TrainingOptions), property, value, rule);
        }
    }
}
