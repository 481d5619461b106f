using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Zero-cost growth score: <c>|∂L/∂w|</c> of the current mini-batch, which backprop has already
/// computed for the whole (dense) weight tensor, so the mask update must come after
/// <c>optimizer.step()</c> and before <c>zero_grad()</c>. A layer whose gradient is undefined or all
/// zero while other parameters have one (a dead layer) scores 0 everywhere, so its lowest
/// positions grow.
/// </summary>
public sealed class GradientGrowth : IGrowthScore
{
    /// <exception cref="InvalidOperationException">Every gradient of the model is zero or undefined (cleared before the mask update).</exception>
    public void RequireReady(MaskSet masks) => GrowthGradient.RequireSome(masks, "gradient");

    /// <exception cref="InvalidOperationException">Every gradient of the model is zero or undefined (cleared before the mask update).</exception>
    public Tensor Score(MaskedLayer layer, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var grad = GrowthGradient.Of(layer, masks, "gradient");
        return grad is null ? zeros_like(layer.Weight) : grad.abs();
    }
}
