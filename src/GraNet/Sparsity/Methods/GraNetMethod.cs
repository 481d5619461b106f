using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Schedules;

namespace GraNet.Sparsity.Methods;

/// <summary>
/// GraNet: from <c>d_i</c> (dense when 1), global gradual magnitude pruning to <c>d_f</c> between
/// <c>t0</c> and <c>tf</c>, and zero-cost neuroregeneration every ΔT from <c>t0</c> to the end.
/// With <c>layerwise</c>, GraNet-uniform: each layer pruned to the same density.
/// </summary>
public sealed record GraNetMethod : SparsityMethod
{
    internal GraNetMethod(SparsityOptions options, StepPlan steps, bool layerwise)
        : base(layerwise ? "granet-uniform" : "granet")
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        StartDensity = options.InitDensity;
        Distribution = DistributionOf(options);
        Schedule = ScheduleOf(options, steps);
        Pruner = layerwise ? new LayerwiseMagnitudePruner(options.ClassifierRule) : new GlobalMagnitudePruner();
        Window = new UpdateWindow(options.UpdateInterval, Schedule.StartStep, steps.TotalSteps);
        Rate = RateOf(options, steps);
        Regenerator = new Regenerator(GrowthOf(options, GrowthKind.Gradient, steps.Seed));
    }
}
