namespace GraNet.Sparsity;

/// <summary>
/// A mask update found a NaN or infinite weight (the training diverged): magnitudes cannot rank it, and masking cannot
/// zero it (NaN × 0 is NaN). Thrown before the step changes anything.
/// </summary>
public sealed class NonFiniteWeightsException(string layer, string message) : InvalidOperationException(message)
{
    /// <summary>The masked layer that holds the non-finite weight, e.g. <c>fc1.weight</c>.</summary>
    public string Layer { get; } = layer;
}
