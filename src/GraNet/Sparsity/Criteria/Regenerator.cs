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
public sealed class Regenerator(IGrowthScore growth)
{
    public IGrowthScore Growth { get; } = growth ?? throw new ArgumentNullException(nameof(growth));

    public IReadOnlyList<LayerUpdate> Regenerate(MaskSet masks, double rate)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var updates = new List<LayerUpdate>();
        using var guard = no_grad();
        foreach (var layer in masks.Layers)
        {
            long n = layer.ActiveCount;
            if (n == 0 || n == layer.Count)
            {
                updates.Add(new LayerUpdate(layer.Name, n, layer.Count, 0, 0));
                continue;
            }
            long k = Math.Min(n, (long)Math.Ceiling(rate * n));
            using var scope = NewDisposeScope();
            var before = layer.Mask.clone();
            var magnitude = layer.Weight.detach().abs();
            var dropScores = where(before, magnitude, full_like(magnitude, double.PositiveInfinity));
            var drop = ExactSelection.Smallest(dropScores, k);
            var afterDrop = before.logical_and(drop.logical_not());
            var score = Growth.Score(layer, masks);
            var growScores = where(afterDrop, full_like(score, double.NegativeInfinity), score);
            var grow = ExactSelection.Largest(growScores, k);
            var after = afterDrop.logical_or(grow);
            var added = grow.logical_and(before.logical_not());
            layer.SetMask(after);
            masks.ZeroAt(layer, added);
            long addedCount = added.sum().item<long>();
            updates.Add(new LayerUpdate(layer.Name, layer.ActiveCount, layer.Count, addedCount, addedCount));
        }
        masks.Apply();
        return updates;
    }
}
