namespace GraNet.Sparsity;

/// <summary>What scores an inactive weight for regrowth.</summary>
public enum GrowthKind
{
    /// <summary>|∂L/∂w| of the current mini-batch (GraNet, RigL).</summary>
    Gradient,

    /// <summary>|momentum| (SGD buffer; Adam m/(√v+1e-8)) (SNFS).</summary>
    Momentum,

    /// <summary>Uniformly random (SET).</summary>
    Random,
}
