using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Distribution;
using GraNet.Sparsity.Schedules;

namespace GraNet.Sparsity.Methods;

/// <summary>
/// A sparse-training method as a composition of pieces: how density is spread at the start
/// (<see cref="Distribution"/>, <see cref="StartDensity"/>), when and how it prunes
/// (<see cref="Schedule"/>, <see cref="Pruner"/>), and when and how it regenerates
/// (<see cref="Window"/>, <see cref="Rate"/>, <see cref="Regenerator"/>). Each concrete method only
/// chooses its pieces.
/// </summary>
public abstract class SparsityMethod
{
    /// <summary>The method's name on the command line.</summary>
    public abstract string Name { get; }

    /// <summary>Overall density of the initial masks.</summary>
    public double StartDensity { get; protected init; } = 1;

    public ILayerDensityDistribution Distribution { get; protected init; } = new UniformDistribution();

    public CubicPruningSchedule? Schedule { get; protected init; }

    public IPruner? Pruner { get; protected init; }

    public UpdateWindow? Window { get; protected init; }

    public CosineRegrowthRate? Rate { get; protected init; }

    public Regenerator? Regenerator { get; protected init; }

    /// <summary>False for the dense baseline: nothing is ever masked.</summary>
    public virtual bool MasksWeights => true;

    /// <summary>The distribution chosen by the options.</summary>
    protected static ILayerDensityDistribution DistributionOf(SparsityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Distribution switch
        {
            DistributionKind.Uniform => new UniformDistribution(),
            DistributionKind.ER => new ErdosRenyiDistribution(kernel: false),
            DistributionKind.ERK => new ErdosRenyiDistribution(kernel: true),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Distribution, "Unknown distribution."),
        };
    }

    /// <summary>The growth score chosen by the options, or the method's own.</summary>
    protected static IGrowthScore GrowthOf(SparsityOptions options, GrowthKind methodDefault, int seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (options.Growth ?? methodDefault) switch
        {
            GrowthKind.Gradient => new GradientGrowth(),
            GrowthKind.Momentum => new MomentumGrowth(),
            GrowthKind.Random => new RandomGrowth(seed + 7919),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Growth, "Unknown growth criterion."),
        };
    }

    /// <summary>The cubic schedule from the options' pruning epochs.</summary>
    protected static CubicPruningSchedule ScheduleOf(SparsityOptions options, StepPlan steps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        return new CubicPruningSchedule(steps.StepOfEpoch(options.PruneStartEpoch), steps.StepOfEpoch(options.PruneEndEpoch), options.UpdateInterval, options.InitDensity, options.FinalDensity);
    }

    /// <summary>The cosine regrowth rate over the whole run.</summary>
    protected static CosineRegrowthRate RateOf(SparsityOptions options, StepPlan steps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        return new CosineRegrowthRate(options.RegrowthRate, options.RegrowthRateMin, steps.TotalSteps);
    }
}
