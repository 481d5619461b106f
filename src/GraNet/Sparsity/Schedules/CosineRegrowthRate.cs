namespace GraNet.Sparsity.Schedules;

/// <summary>
/// The share of active weights regenerated at an update (spec §4):
/// <c>r_t = r_min + (r_0 − r_min)(1 + cos(π t / T)) / 2</c>.
/// </summary>
public sealed class CosineRegrowthRate(double initialRate, double minimumRate, long totalSteps) : IRegrowthRate
{
    public double InitialRate { get; } = initialRate;

    public double MinimumRate { get; } = minimumRate;

    public long TotalSteps { get; } = totalSteps;

    public double RateAt(long step) =>
        MinimumRate + ((InitialRate - MinimumRate) * (1 + Math.Cos(Math.PI * Math.Min(step, TotalSteps) / TotalSteps)) / 2);
}
