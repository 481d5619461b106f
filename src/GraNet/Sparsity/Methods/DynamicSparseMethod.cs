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

    internal static DynamicSparseMethod RigL(SparsityOptions options, StepPlan steps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        // 0.58 × 100000 is 57999.99999999999 in floating point: without WholeCounts's settling the update at step 58000 would be lost.
        return new("rigl", options, steps, GrowthKind.Gradient, WholeCounts.Floor(options.RigLStopFraction * steps.TotalSteps));
    }

    internal static DynamicSparseMethod Set(SparsityOptions options, StepPlan steps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        return new("set", options, steps, GrowthKind.Random, steps.TotalSteps);
    }

    internal static DynamicSparseMethod Snfs(SparsityOptions options, StepPlan steps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        return new("snfs", options, steps, GrowthKind.Momentum, steps.TotalSteps);
    }
}
