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
}
