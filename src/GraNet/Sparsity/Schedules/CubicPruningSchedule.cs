namespace GraNet.Sparsity.Schedules;

/// <summary>
/// Gradual magnitude pruning schedule (Zhu &amp; Gupta 2017; spec §3). Pruning events happen after
/// steps with <c>t % ΔT == 0</c> and <c>t0 &lt; t &lt; tf</c>, plus one at <c>tf</c>, where the target is
/// <c>d_t = d_f + (d_i − d_f)(1 − (t − t0)/(tf − t0))³</c>; at <c>tf</c> it is exactly <c>d_f</c>.
/// </summary>
public sealed class CubicPruningSchedule : IPruningSchedule
{
    public CubicPruningSchedule(long startStep, long endStep, long interval, double initialDensity, double finalDensity)
    {
        if (endStep <= startStep)
        {
            throw new ArgumentException($"The pruning end step {endStep} must come after the start step {startStep}.");
        }
        if (interval < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The update interval must be at least 1 step.");
        }
        StartStep = startStep;
        EndStep = endStep;
        Interval = interval;
        InitialDensity = initialDensity;
        FinalDensity = finalDensity;
    }

    /// <summary><c>t0</c>.</summary>
    public long StartStep { get; }

    /// <summary><c>tf</c>.</summary>
    public long EndStep { get; }

    /// <summary><c>ΔT</c>.</summary>
    public long Interval { get; }

    public double InitialDensity { get; }

    public double FinalDensity { get; }

    /// <summary>Whether a pruning event follows step <paramref name="step"/>.</summary>
    public bool IsPruningStep(long step) => step == EndStep || (step % Interval == 0 && step > StartStep && step < EndStep);

    /// <summary>The target density after step <paramref name="step"/>.</summary>
    public double DensityAt(long step)
    {
        if (step <= StartStep)
        {
            return InitialDensity;
        }
        if (step >= EndStep)
        {
            return FinalDensity;
        }
        double remaining = 1 - ((double)(step - StartStep) / (EndStep - StartStep));
        return FinalDensity + ((InitialDensity - FinalDensity) * remaining * remaining * remaining);
    }
}
