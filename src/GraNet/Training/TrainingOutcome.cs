namespace GraNet.Training;

/// <summary>How a training run ended.</summary>
public enum TrainingOutcome
{
    /// <summary>All epochs ran.</summary>
    Completed,

    /// <summary>An epoch's mean training loss was not below ln(classes) − 0.02: the network learned nothing, fell back
    /// to chance, or its weights blew up (at a high learning rate this happens for some seeds); the run stopped there.
    /// <see cref="Trainer.CollapseNotice"/> says which, with the fix.</summary>
    Collapsed,
}
