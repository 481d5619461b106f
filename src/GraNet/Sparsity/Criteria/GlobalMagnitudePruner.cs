using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Global magnitude pruning (GraNet, GMP): over all maskable weights together keep exactly
/// <c>K = round(d · N_total)</c> with the largest <c>|w|</c>; ties go to the lower position. A density above the
/// present one keeps every active weight (pruning never brings one back).
/// </summary>
public sealed class GlobalMagnitudePruner : IPruner
{
    public void Prune(MaskSet masks, double density)
    {
        ArgumentNullException.ThrowIfNull(masks);
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        // Pruning never brings a weight back: a density above the present one keeps every active weight.
        long keep = Math.Min(masks.Active, MaskedLayer.KeepCount(density, masks.Total));
        // Only active weights compete (keep <= active, so a pruned one is never kept). On the CPU the selection reads the
        // weights and masks in place (RadixSelection); elsewhere it concatenates magnitude scores and selects with libtorch.
        var weights = masks.Layers.Select(l => l.Weight.detach()).ToList();
        if (masks.Layers.Select((l, i) => RadixSelection.Supports(weights[i], l.Mask)).All(ok => ok))
        {
            var chosen = RadixSelection.Select(masks.Layers.Select((l, i) => new RadixSelection.Segment(weights[i], l.Mask)).ToList(), keep, magnitude: true);
            for (int i = 0; i < chosen.Length; i++)
            {
                masks.Layers[i].SetMask(chosen[i]);
            }
            return;
        }
        var scores = cat(masks.Layers.Select(l => MagnitudeScores.Of(l).flatten()).ToList(), 0);
        var selected = ExactSelection.Largest(scores, keep, cat(masks.Layers.Select(l => l.Mask.flatten()).ToList(), 0));
        long offset = 0;
        foreach (var layer in masks.Layers)
        {
            layer.SetMask(selected.narrow(0, offset, layer.Count));
            offset += layer.Count;
        }
    }

    /// <summary>How many of <paramref name="active"/> weights <see cref="PruneShare"/> keeps at <paramref name="share"/>: <c>round((1 − share) · active)</c>.</summary>
    public static long Kept(long active, double share) =>
        // (1 - 0.9) · 43055 is 4305.4999… in floating point, not the 4305.5 that rounds up: WholeCounts settles it first.
        WholeCounts.Round((1 - share) * active);

    /// <summary>
    /// Prunes a share of the active weights, those with the smallest <c>|w|</c> over all layers together (the
    /// pruning-plasticity study's pruning, spec §7): <c>round((1 − share) · active)</c> stay active. The weights are not
    /// touched (<see cref="MaskSet.Apply"/> zeroes the pruned ones).
    /// </summary>
    /// <returns>How many weights were pruned.</returns>
    public long PruneShare(MaskSet masks, double share)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (!(share >= 0 && share <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(share), share, "The share of the active weights to prune must lie in [0, 1].");
        }
        long active = masks.Active;
        long keep = Kept(active, share);
        if (keep < active)
        {
            Prune(masks, (double)keep / masks.Total);
        }
        return active - masks.Active;
    }
}
