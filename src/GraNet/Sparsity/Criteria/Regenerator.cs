using GraNet.Runtime;
using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Neuroregeneration (spec §4): in every layer with <c>n_l</c> active weights, drop the
/// <c>k = ceil(r · n_l)</c> active weights of smallest <c>|w|</c>, then grow the <c>k</c> positions
/// with the largest growth score among all inactive ones (the just-dropped included). Each layer
/// keeps its count. A dropped position that is grown again keeps its weight; a position that was
/// inactive before the event starts at 0 with zero optimizer state. Fully dense and empty layers
/// are left alone (nothing can move).
/// </summary>
/// <param name="growth">Ranks the inactive positions: the largest scores grow.</param>
/// <param name="drop">Ranks the active weights: the smallest scores drop; null: the smallest <c>|w|</c> (spec §4).</param>
public sealed class Regenerator(IGrowthScore growth, IDropScore? drop = null)
{
    public IGrowthScore Growth { get; } = growth ?? throw new ArgumentNullException(nameof(growth));

    /// <summary>The drop criterion given, or null for the spec's smallest <c>|w|</c>.</summary>
    public IDropScore? Drop { get; } = drop;

    /// <summary>
    /// <c>k = ceil(r · n)</c> (spec §4), at most <paramref name="active"/>. The product is rounded to 9 decimals
    /// first (<see cref="WholeCounts.Ceiling"/>), so that a rate whose exact product is a whole number (r = 0.12875, n = 800: 103) does not move one
    /// connection more because cos gave a last bit too many (103.00000000000004).
    /// </summary>
    public static long MoveCount(double rate, long active) => Math.Min(active, WholeCounts.Ceiling(rate * active));

    public IReadOnlyList<LayerUpdate> Regenerate(MaskSet masks, double rate)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var updates = new List<LayerUpdate>();
        using var guard = no_grad();
        try
        {
            RegenerateLayers(masks, rate, updates);
        }
        finally
        {
            // Also when a score is refused midway: the layers regenerated before it hold no weight outside their masks.
            masks.Apply();
        }
        return updates;
    }

    private void RegenerateLayers(MaskSet masks, double rate, List<LayerUpdate> updates)
    {
        foreach (var layer in masks.Layers)
        {
            long n = layer.ActiveCount;
            if (n == 0 || n == layer.Count)
            {
                updates.Add(new LayerUpdate(layer.Name, n, layer.Count, 0, 0));
                continue;
            }
            long k = MoveCount(rate, n);
            using var scope = NewDisposeScope();
            var before = layer.Mask.clone();
            // The spec's criterion reads the weights in place (|w| by the selection itself); another one is scored first.
            var dropScore = Drop is null ? layer.Weight.detach() : RequireScore(Drop.Score(layer, masks), layer, "drop");
            bool magnitude = Drop is null;
            var drop = RadixSelection.Supports(dropScore, before)
                ? RadixSelection.Select([new RadixSelection.Segment(dropScore, before)], k, smallest: true, magnitude: magnitude)[0]
                : ExactSelection.Smallest(magnitude ? dropScore.abs() : dropScore, k, before);
            var afterDrop = before.logical_and(drop.logical_not());
            var score = RequireScore(Growth.Score(layer, masks), layer, "growth");
            var candidates = afterDrop.logical_not();
            var grow = RadixSelection.Supports(score, candidates)
                ? RadixSelection.Select([new RadixSelection.Segment(score, candidates)], k)[0]
                : ExactSelection.Largest(score, k, candidates);
            var after = afterDrop.logical_or(grow);
            var added = grow.logical_and(before.logical_not());
            layer.SetMask(after);
            masks.ZeroAt(layer, added);
            long addedCount = added.count_nonzero().item<long>();
            updates.Add(new LayerUpdate(layer.Name, layer.ActiveCount, layer.Count, addedCount, addedCount, k));
        }
    }

    /// <summary>
    /// A score of the layer's shape (one of its size, flat, is reshaped) with finite values, else an error naming the
    /// criterion and the layer: NaN has no place in an order (the two selections would rank it differently) and an
    /// infinite score says the criterion broke down.
    /// </summary>
    private static Tensor RequireScore(Tensor score, MaskedLayer layer, string criterion)
    {
        if (score is null || score.numel() != layer.Count)
        {
            throw new InvalidOperationException($"The {criterion} score of layer {layer.Name} has {(score is null ? "no tensor" : $"shape [{string.Join(", ", score.shape)}]")}; a score must be shaped like the layer's weight, [{string.Join(", ", layer.Shape)}].");
        }
        if (FiniteValues.CountNonFinite(score) is > 0 and long bad)
        {
            throw new InvalidOperationException($"The {criterion} score of layer {layer.Name} has {bad} NaN or infinite values; a score must be finite to be ranked (a diverged run, or a criterion that divides by zero).");
        }
        return score.shape.SequenceEqual(layer.Shape) ? score : score.reshape(layer.Shape);
    }
}
