namespace GraNet.Training;

/// <summary>
/// A plug-in that acts right after every optimizer step, e.g. a sparsity method that masks
/// weights and updates masks. The trainer does not know what the hook does: it calls it, saves
/// and restores its state with checkpoints, and logs the scalars it reports.
/// </summary>
public interface ITrainingHook
{
    /// <summary>Called once, before training starts or a checkpoint is restored.</summary>
    void Attach(TrainingContext context);

    /// <summary>
    /// Called after the optimizer step that completed step <paramref name="step"/> (1 after the
    /// first mini-batch). The gradients of that step's mini-batch are still on the parameters.
    /// </summary>
    void AfterOptimizerStep(long step);

    /// <summary>False while the model is still changing shape (e.g. during gradual pruning), so
    /// that epochs before the final sparsity are never selected as the best epoch.</summary>
    bool ReadyForSelection { get; }

    /// <summary>Scalars to log with each epoch's metrics, e.g. <c>density</c>.</summary>
    IReadOnlyDictionary<string, double> EpochScalars();

    /// <summary>
    /// Why the network may have stopped depending on its input, if the hook knows (e.g. a layer pruned away entirely),
    /// with the fix; the trainer adds it to its notice when the training loss sits at chance. Null: nothing known.
    /// </summary>
    string? CollapseCause() => null;

    /// <summary>Writes the hook's state (masks, counters) into a checkpoint.</summary>
    void Save(BinaryWriter writer);

    /// <summary>Restores the state written by <see cref="Save"/>.</summary>
    void Load(BinaryReader reader);
}
