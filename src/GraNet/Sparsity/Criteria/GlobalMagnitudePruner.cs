using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Global magnitude pruning (GraNet, GMP): over all maskable weights together keep exactly
/// <c>K = round(d · N_total)</c> with the largest <c>|w|</c>; ties go to the lower position.
/// </summary>
public sealed class GlobalMagnitudePruner : IPruner
{
    public void Prune(MaskSet masks, double density)
    {
        ArgumentNullException.ThrowIfNull(masks);
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        long keep = (long)Math.Round(density * masks.Total, MidpointRounding.AwayFromZero);
        var scores = cat(masks.Layers.Select(l => MagnitudeScores.Of(l).flatten()).ToList(), 0);
        var selected = ExactSelection.Largest(scores, keep);
        long offset = 0;
        foreach (var layer in masks.Layers)
        {
            layer.SetMask(selected.narrow(0, offset, layer.Count));
            offset += layer.Count;
        }
    }
}
