namespace GraNet.Sparsity;

/// <summary>What one mask update did to one layer.</summary>
/// <param name="Removed">Connections active before and inactive after the update.</param>
/// <param name="Added">Connections inactive before and active after (they start at 0).</param>
public sealed record LayerUpdate(string Layer, long Active, long Count, long Removed, long Added);
