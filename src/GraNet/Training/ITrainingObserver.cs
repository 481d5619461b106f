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

    /// <summary>
    /// Epoch <paramref name="epoch"/> (1-based) is trained and about to be checkpointed: write here what must be on disk
    /// before the checkpoint says the epoch is done (a resumed run goes on from the checkpoint and never sees this epoch's
    /// events again; what was written for steps past an older checkpoint can be dropped on resume).
    /// </summary>
    void OnCheckpointing(int epoch)
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
