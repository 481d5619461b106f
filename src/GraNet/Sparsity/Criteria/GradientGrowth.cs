using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Zero-cost growth score: <c>|∂L/∂w|</c> of the current mini-batch, which backprop has already
/// computed for the whole (dense) weight tensor. Zero before any backward pass.
/// </summary>
public sealed class GradientGrowth : IGrowthScore
{
    public Tensor Score(MaskedLayer layer, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var grad = layer.Weight.grad;
        return grad is null || grad.IsInvalid ? zeros_like(layer.Weight) : grad.abs();
    }
}
