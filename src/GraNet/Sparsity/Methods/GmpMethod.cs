using GraNet.Sparsity.Criteria;

namespace GraNet.Sparsity.Methods;

/// <summary>Gradual magnitude pruning (Zhu &amp; Gupta): the cubic schedule, no regeneration. Global, or layer-wise (GMP-uniform).</summary>
public sealed class GmpMethod : SparsityMethod
{
    public GmpMethod(SparsityOptions options, StepPlan steps, bool layerwise)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = layerwise ? "gmp-uniform" : "gmp";
        StartDensity = options.InitDensity;
        Distribution = DistributionOf(options);
        Schedule = ScheduleOf(options, steps);
        Pruner = layerwise ? new LayerwiseMagnitudePruner(options.ClassifierRule) : new GlobalMagnitudePruner();
    }

    public override string Name { get; }
}
