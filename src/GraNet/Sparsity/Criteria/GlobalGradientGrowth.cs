using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Growth over all layers together, the pruning-plasticity study's neuroregeneration (spec §7): the inactive positions
/// with the largest <c>|∂L/∂w|</c> of the gradients now on the weights, whichever layer they are in (ties: the lower
/// position, layers in <see cref="MaskSet.Layers"/> order). Unlike <see cref="Regenerator"/>, which keeps each layer's
/// count, it moves weights between layers.
/// </summary>
public static class GlobalGradientGrowth
{
    /// <summary>Activates <paramref name="count"/> inactive positions (all of them if fewer); they and their optimizer state start at 0.</summary>
    /// <exception cref="InvalidOperationException">Every gradient of the model is zero or undefined (none was computed, or it was cleared).</exception>
    public static void Grow(MaskSet masks, long count)
    {
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        GrowthGradient.RequireSome(masks, "gradient");
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        var scores = cat(masks.Layers.Select(l => (GrowthGradient.Of(l, masks, "gradient") is { } g ? g.abs() : zeros_like(l.Weight)).flatten()).ToList(), 0);
        var inactive = cat(masks.Layers.Select(l => l.Mask.logical_not().flatten()).ToList(), 0);
        var grow = ExactSelection.Largest(scores, count, inactive);
        long offset = 0;
        foreach (var layer in masks.Layers)
        {
            var added = grow.narrow(0, offset, layer.Count).reshape(layer.Shape);
            masks.ZeroAt(layer, added);
            layer.SetMask(layer.Mask.logical_or(added));
            offset += layer.Count;
        }
    }
}
