namespace GraNet.Sparsity;

/// <summary>What kind of mask update happened.</summary>
public enum MaskUpdateKind
{
    /// <summary>The initial masks.</summary>
    Initial,

    /// <summary>A gradual-pruning event.</summary>
    Prune,

    /// <summary>A drop-and-grow (neuroregeneration) event.</summary>
    Regenerate,
}
