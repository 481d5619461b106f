namespace GraNet.Training;

/// <summary>
/// The learning rate at any point of training, as a pure function of the position, so that a
/// resumed run sets exactly the same rates. Linear warm-up (per step) comes first, then
/// multi-step, cosine or constant.
/// </summary>
public sealed class LearningRateSchedule(TrainingOptions options, int stepsPerEpoch)
{
    private readonly TrainingOptions options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>The rate for the optimizer step that follows <paramref name="stepsDone"/> completed steps.</summary>
    public double At(long stepsDone)
    {
        double epochPosition = (double)stepsDone / stepsPerEpoch;
        if (options.WarmupEpochs > 0 && epochPosition < options.WarmupEpochs)
        {
            // Never above the base rate: with a fractional warm-up the last warm-up step can pass the end of the ramp.
            return Math.Min(options.LearningRate, options.LearningRate * (stepsDone + 1) / (options.WarmupEpochs * stepsPerEpoch));
        }
        switch (options.Schedule)
        {
            case LearningRateScheduleKind.MultiStep:
                int epoch = (int)(stepsDone / stepsPerEpoch);
                int passed = options.EffectiveMilestones.Count(m => epoch >= m);
                return options.LearningRate * Math.Pow(options.Gamma, passed);
            case LearningRateScheduleKind.Cosine:
                double start = options.WarmupEpochs * stepsPerEpoch;
                double total = ((double)options.Epochs * stepsPerEpoch) - start;
                double progress = Math.Clamp((stepsDone - start) / total, 0, 1);
                return options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
            case LearningRateScheduleKind.Constant:
                return options.LearningRate;
            default:
                throw new InvalidOperationException($"Unknown schedule {options.Schedule}.");
        }
    }

    /// <summary>The rate in force at the start of epoch <paramref name="epoch"/> (0-based).</summary>
    public double AtEpoch(int epoch) => At((long)epoch * stepsPerEpoch);
}
