using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Schedules;

namespace GraNet.Sparsity.Methods;

/// <summary>
/// Sparse-to-sparse training at a fixed density <c>d_f</c> with periodic drop-and-grow:
/// RigL (gradient growth, stops at a fraction of training), SET (random growth) and SNFS
/// (momentum growth). They differ only in the growth score and the stop step.
/// </summary>
public sealed record DynamicSparseMethod : SparsityMethod
{
    private DynamicSparseMethod(string name, SparsityOptions options, StepPlan steps, GrowthKind growth, long stopStep)
        : base(name)
    {
        StartDensity = options.FinalDensity;
        Distribution = DistributionOf(options);
        Window = new UpdateWindow(options.UpdateInterval, 0, stopStep);
        Rate = RateOf(options, steps);
        Regenerator = new Regenerator(GrowthOf(options, growth, steps.Seed));
    }

    public static DynamicSparseMethod RigL(SparsityOptions options, StepPlan steps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        return new("rigl", options, steps, GrowthKind.Gradient, (long)Math.Floor(options.RigLStopFraction * steps.TotalSteps));
    }

    public static DynamicSparseMethod Set(SparsityOptions options, StepPlan steps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        return new("set", options, steps, GrowthKind.Random, steps.TotalSteps);
    }

    public static DynamicSparseMethod Snfs(SparsityOptions options, StepPlan steps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        return new("snfs", options, steps, GrowthKind.Momentum, steps.TotalSteps);
    }
}
