namespace GraNet.Training;

/// <summary>How a training run ended.</summary>
public enum TrainingOutcome
{
    /// <summary>All epochs ran.</summary>
    Completed,

    /// <summary>The training loss was not below ln(classes) − 0.02 after the first epoch: the network
    /// learned nothing (at a high learning rate this happens for some seeds). Try another seed or a lower rate.</summary>
    Collapsed,
}
