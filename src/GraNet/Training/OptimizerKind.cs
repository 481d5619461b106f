namespace GraNet.Training;

/// <summary>The optimizer that updates the weights.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent with (optionally Nesterov) momentum and weight decay.</summary>
    Sgd,

    /// <summary>Adam with L2 weight decay.</summary>
    Adam,
}
