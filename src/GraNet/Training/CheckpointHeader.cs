namespace GraNet.Training;

/// <summary>
/// The readable part of a checkpoint: what was trained on what, how far, and the history so far.
/// <see cref="Configuration"/> is the caller's resolved configuration as JSON, kept verbatim.
/// </summary>
public sealed record CheckpointHeader(
    string Model,
    string Dataset,
    int EpochsCompleted,
    long Step,
    int BestEpoch,
    double? BestValidationAccuracy,
    bool HasHookState,
    IReadOnlyList<EpochMetrics> History,
    string Configuration)
{
    /// <summary>Wall-clock seconds the run has spent in training up to this checkpoint, over every process that trained it (0 in checkpoints of earlier versions).</summary>
    public double WallSeconds { get; init; }

    /// <summary>
    /// <see cref="GraNet.Data.ImageDataset.Digest"/> of the training set the run was trained on (the whole set, validation
    /// hold-out included); null in checkpoints of earlier versions and in model-only files.
    /// </summary>
    public string? TrainingImagesSha256 { get; init; }

    /// <summary><see cref="GraNet.Data.ImageDataset.Digest"/> of the test set the run is tested on; null in checkpoints of earlier versions.</summary>
    public string? TestImagesSha256 { get; init; }
}
