namespace GraNet.Training;

/// <summary>Which failure a collapsed epoch was, told from its mean training loss and training accuracy (<see cref="Trainer.Classify"/>).</summary>
public enum CollapseKind
{
    /// <summary>At chance all epoch, never far above it: the network learned nothing.</summary>
    LearnedNothing,

    /// <summary>At chance after having learned (an earlier epoch, or a training accuracy of at least twice chance in this one).</summary>
    FellBack,

    /// <summary>A mean loss above chance: at some point the loss rose far above it, i.e. the weights blew up.</summary>
    BlewUp,
}
