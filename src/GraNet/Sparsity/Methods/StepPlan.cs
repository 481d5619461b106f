namespace GraNet.Sparsity.Methods;

/// <summary>The run's step counts, from which a method turns epochs into steps once.</summary>
public sealed record StepPlan(int StepsPerEpoch, long TotalSteps, int Seed)
{
    public long StepOfEpoch(double epoch) => (long)Math.Round(epoch * StepsPerEpoch, MidpointRounding.AwayFromZero);

    /// <summary>Epochs of the run (the last one may be partial).</summary>
    public int Epochs => (int)Math.Ceiling((double)TotalSteps / StepsPerEpoch);
}
