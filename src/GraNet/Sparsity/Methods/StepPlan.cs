namespace GraNet.Sparsity.Methods;

/// <summary>The run's step counts, from which a method turns epochs into steps once.</summary>
public sealed record StepPlan(int StepsPerEpoch, long TotalSteps, int Seed)
{
    /// <summary>The step at which epoch <paramref name="epoch"/> (fractions allowed) ends: the nearest step, halves up (<see cref="WholeCounts.Round"/>).</summary>
    public long StepOfEpoch(double epoch) => WholeCounts.Round(epoch * StepsPerEpoch);

    /// <summary>Epochs of the run (the last one may be partial).</summary>
    public int Epochs => (int)Math.Ceiling((double)TotalSteps / StepsPerEpoch);
}
