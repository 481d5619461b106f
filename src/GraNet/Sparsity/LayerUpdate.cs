namespace GraNet.Sparsity;

/// <summary>What one mask update did to one layer.</summary>
/// <param name="Layer">The weight's name, as in the model's <c>named_parameters()</c>.</param>
/// <param name="Active">Active weights after the update.</param>
/// <param name="Count">All weights of the layer.</param>
/// <param name="Removed">Connections active before and inactive after the update (a net change).</param>
/// <param name="Added">Connections inactive before and active after (a net change; they start at 0).</param>
/// <param name="Moved">
/// Regeneration only: <c>k = ceil(r · n)</c> of spec §4, the weights dropped and the positions grown. A dropped weight
/// may be grown again in the same event (it keeps its value), so <paramref name="Added"/> can be less than this. 0 for
/// pruning events and for a fully dense or empty layer, where nothing can move.
/// </param>
public sealed record LayerUpdate(string Layer, long Active, long Count, long Removed, long Added, long Moved = 0);
