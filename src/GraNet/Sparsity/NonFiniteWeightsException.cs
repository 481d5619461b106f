namespace GraNet.Sparsity;

/// <summary>
/// A mask update found a NaN or infinite weight (the training diverged): magnitudes cannot rank it, and masking cannot
/// zero it (NaN × 0 is NaN). Thrown before the step changes anything.
/// </summary>
public sealed class NonFiniteWeightsException(string message) : InvalidOperationException(message);
