namespace GraNet.Training;

/// <summary>The result of <see cref="Trainer.Run"/>.</summary>
/// <param name="TestAccuracy">Test accuracy in [0, 1] of the selected model (best validation epoch, or the final one without validation).</param>
/// <param name="BestEpoch">The selected epoch (1-based).</param>
/// <param name="BestValidationAccuracy">Its validation accuracy; null without a validation split.</param>
/// <param name="WallSeconds">Wall-clock seconds of the run's epochs (training and each epoch's evaluation, up to the end of the last epoch finished), over every process that trained it (a resumed run adds the earlier ones' time kept in its checkpoint; a resume that trains nothing reports the same figure again).</param>
public sealed record TrainingResult(
    TrainingOutcome Outcome,
    double TestAccuracy,
    int BestEpoch,
    double? BestValidationAccuracy,
    IReadOnlyList<EpochMetrics> History,
    double WallSeconds,
    double ImagesPerSecond,
    long Parameters)
{
    /// <summary><see cref="GraNet.Data.ImageDataset.Digest"/> of the training set (validation hold-out included) the run was trained on.</summary>
    public string? TrainingImagesSha256 { get; init; }

    /// <summary><see cref="GraNet.Data.ImageDataset.Digest"/> of the test set the run was tested on.</summary>
    public string? TestImagesSha256 { get; init; }
}
