namespace GraNet.Sparsity;

/// <summary>What scores an inactive weight for regrowth.</summary>
public enum GrowthKind
{
    /// <summary>|∂L/∂w| of the current mini-batch (GraNet, RigL).</summary>
    Gradient,

    /// <summary>|the optimizer's momentum| (SGD's buffer with its momentum and dampening; Adam's m/(√v + 1e-8) with its betas), kept densely by the criterion itself, since the optimizer's own momentum is masked to 0 where growth looks (SNFS).</summary>
    Momentum,

    /// <summary>Uniformly random (SET).</summary>
    Random,
}
