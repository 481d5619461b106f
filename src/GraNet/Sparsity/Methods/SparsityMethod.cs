using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Distribution;
using GraNet.Sparsity.Schedules;

namespace GraNet.Sparsity.Methods;

/// <summary>
/// A sparse-training method as a composition of pieces: how density is spread at the start
/// (<see cref="Distribution"/>, <see cref="StartDensity"/>), when and how it prunes
/// (<see cref="Schedule"/>, <see cref="Pruner"/>), and when and how it regenerates
/// (<see cref="Window"/>, <see cref="Rate"/>, <see cref="Regenerator"/>). Each built-in method only
/// chooses its pieces. A method of your own is one too: compose the pieces in an object initializer, or
/// change some of a built-in method's with <c>with</c>
/// (<c>SparsityMethodFactory.Create(options, steps) with { Name = "granet-mine", Regenerator = new Regenerator(new MyGrowth()) }</c>),
/// and give <c>SparsityController.Create</c> the function that makes it. <see cref="Validate"/> says which pieces go together.
/// </summary>
public record SparsityMethod
{
    /// <summary>Added to the run's seed for random growth's draws (a prime), so that they are not the stream of the initial masks or weights.</summary>
    private const int RandomGrowthSeedOffset = 7919;

    /// <param name="name">The method's name: recorded by <c>SparsityController.Save</c>, and a saved state loads only into a controller whose method has the same name.</param>
    public SparsityMethod(string name)
    {
        Name = name;
    }

    /// <summary>The method's name (the built-in ones: as on the command line).</summary>
    public string Name { get; init; }

    /// <summary>Overall density of the initial masks, in (0, 1]; 1: dense.</summary>
    public double StartDensity { get; init; } = 1;

    /// <summary>How <see cref="StartDensity"/> is spread over the layers.</summary>
    public ILayerDensityDistribution Distribution { get; init; } = new UniformDistribution();

    /// <summary>When pruning events happen and to what density; null: the method never prunes (then <see cref="Pruner"/> is null too).</summary>
    public IPruningSchedule? Schedule { get; init; }

    /// <summary>Which weights a pruning event removes; null: never prunes.</summary>
    public IPruner? Pruner { get; init; }

    /// <summary>When regeneration events happen; null: never regenerates (then <see cref="Rate"/> and <see cref="Regenerator"/> are null too).</summary>
    public UpdateWindow? Window { get; init; }

    /// <summary>The share of active weights a regeneration event moves.</summary>
    public IRegrowthRate? Rate { get; init; }

    /// <summary>Drops the smallest active weights and grows by its growth score.</summary>
    public Regenerator? Regenerator { get; init; }

    /// <summary>False for the dense baseline: nothing is ever masked.</summary>
    public virtual bool MasksWeights => true;

    /// <summary>The density the method ends at: its schedule's at the last pruning event, else <see cref="StartDensity"/>.</summary>
    public double FinalDensity => Schedule is { } schedule ? schedule.DensityAt(schedule.EndStep) : StartDensity;

    /// <summary>Refuses pieces that do not make a method: a name that is empty, a start density outside (0, 1], a schedule without a pruner or the reverse, a regeneration window without its rate and regenerator or the reverse, a method that masks nothing but has pieces.</summary>
    /// <exception cref="ArgumentException">The first piece that does not fit, named with the fix.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("A sparsity method needs a name (SparsityMethod.Name): Save records it, and Load accepts only a state of the same name.", nameof(Name));
        }
        string what = $"Sparsity method '{Name}'";
        if (!MasksWeights)
        {
            if (Schedule is not null || Pruner is not null || Window is not null || Rate is not null || Regenerator is not null || StartDensity != 1)
            {
                throw new ArgumentException($"{what} masks no weight (MasksWeights is false), so it cannot prune, regenerate or start sparse; leave out Schedule, Pruner, Window, Rate and Regenerator and keep StartDensity 1, or start from a method that masks.", nameof(MasksWeights));
            }
            return;
        }
        if (!(StartDensity > 0 && StartDensity <= 1))
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what} has StartDensity {StartDensity}; it must lie in (0, 1] (1: dense start)."), nameof(StartDensity));
        }
        if ((Schedule is null) != (Pruner is null))
        {
            throw new ArgumentException($"{what} has a {(Schedule is null ? "Pruner but no Schedule" : "Schedule but no Pruner")}: pruning needs both (when, and which weights); give both or neither.", Schedule is null ? nameof(Schedule) : nameof(Pruner));
        }
        if (Schedule is { } s)
        {
            if (s.EndStep <= s.StartStep)
            {
                throw new ArgumentException($"{what} has a Schedule ending at step {s.EndStep}, not after its start step {s.StartStep}; its last pruning event must come after the start.", nameof(Schedule));
            }
            double first = s.DensityAt(s.StartStep), last = s.DensityAt(s.EndStep);
            if (!(last > 0 && last <= 1))
            {
                throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what} has a Schedule ending at density {last:G6}; it must end in (0, 1]."), nameof(Schedule));
            }
            // Pruning never brings weights back, so a schedule above the start density would prune nothing until it fell below it.
            if (first > StartDensity + 1e-12 || last > StartDensity + 1e-12)
            {
                throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what} has a Schedule from density {first:G6} to {last:G6}, above its StartDensity {StartDensity:G6}: pruning cannot raise the density; start the schedule at the start density (a built-in method's schedule starts at SparsityOptions.InitDensity)."), nameof(Schedule));
            }
        }
        var missing = new[] { (Window is null, nameof(Window)), (Rate is null, nameof(Rate)), (Regenerator is null, nameof(Regenerator)) };
        if (missing.Any(m => m.Item1) && !missing.All(m => m.Item1))
        {
            var absent = missing.Where(m => m.Item1).Select(m => m.Item2).ToList();
            throw new ArgumentException($"{what} has no {string.Join(" and no ", absent)}: regeneration needs a Window (when), a Rate (how many) and a Regenerator (which); give all three or none.", absent[0]);
        }
        if (Window is { Interval: < 1 } w)
        {
            throw new ArgumentException($"{what} has a regeneration Window with interval {w.Interval}; it must be at least 1 step.", nameof(Window));
        }
    }

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
            GrowthKind.Random => new RandomGrowth(seed + RandomGrowthSeedOffset),
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
