namespace GraNet.Training;

/// <summary>Receives what a <see cref="Trainer"/> does. The library never writes to the console; a
/// front end renders these events. Every method has an empty default.</summary>
public interface ITrainingObserver
{
    /// <summary>Training starts (or resumes) at <paramref name="firstEpoch"/> (1-based).</summary>
    void OnStarted(int firstEpoch, int epochs, int stepsPerEpoch)
    {
    }

    void OnBatch(BatchProgress progress)
    {
    }

    /// <summary>An epoch ended; <paramref name="history"/> holds every epoch so far, this one included.</summary>
    void OnEpochCompleted(EpochMetrics metrics, IReadOnlyList<EpochMetrics> history)
    {
    }

    /// <summary>Something a user should know (e.g. a collapsed run).</summary>
    void OnNotice(string message)
    {
    }
}
