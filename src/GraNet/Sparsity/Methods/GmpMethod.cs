using GraNet.Sparsity.Criteria;

namespace GraNet.Sparsity.Methods;

/// <summary>Gradual magnitude pruning (Zhu &amp; Gupta): the cubic schedule, no regeneration. Global, or layer-wise (GMP-uniform).</summary>
public sealed record GmpMethod : SparsityMethod
{
    internal GmpMethod(SparsityOptions options, StepPlan steps, bool layerwise)
        : base(layerwise ? "gmp-uniform" : "gmp")
    {
        ArgumentNullException.ThrowIfNull(options);
        StartDensity = options.InitDensity;
        Distribution = DistributionOf(options);
        Schedule = ScheduleOf(options, steps);
        Pruner = layerwise ? new LayerwiseMagnitudePruner(options.ClassifierRule) : new GlobalMagnitudePruner();
    }
}
