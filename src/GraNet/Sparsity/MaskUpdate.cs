namespace GraNet.Sparsity;

/// <summary>One mask update, as reported by <see cref="SparsityController.MaskUpdated"/>.</summary>
/// <param name="Step">The optimizer step after which it happened (0 for the initial masks).</param>
/// <param name="Kind">Initial masks, a pruning event or a regeneration.</param>
/// <param name="Density">Overall density afterwards.</param>
/// <param name="Rate">The regeneration rate used (regeneration only).</param>
/// <param name="Layers">Every masked layer's active count afterwards, and the weights it lost and gained in this update.</param>
/// <param name="EverActiveFraction">Share of all maskable weights active at any time so far.</param>
public sealed record MaskUpdate(long Step, MaskUpdateKind Kind, double Density, double? Rate, IReadOnlyList<LayerUpdate> Layers, double EverActiveFraction);
