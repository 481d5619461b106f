using GraNet.Runtime;

namespace GraNet.Training;

/// <summary>What one epoch of training measured.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="ValidationAccuracy">Accuracy in [0, 1] on the held-out split; null without one.</param>
/// <param name="DataWaitSeconds">Time the training loop waited for batches (data handling not hidden by compute).</param>
/// <param name="Scalars">Values reported by the hook (e.g. density).</param>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationAccuracy,
    double LearningRate,
    double Seconds,
    double ImagesPerSecond,
    double DataWaitSeconds,
    IReadOnlyDictionary<string, double> Scalars)
{
    /// <summary>The threads and CPU kernels libtorch ran the epoch with; null in checkpoints of earlier versions.</summary>
    public RuntimeSettings? Runtime { get; init; }
}
