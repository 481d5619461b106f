using GraNet.Runtime;
using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>Keep-scores for magnitude pruning: <c>|w|</c> where active, −1 where already pruned (so pruned weights go first and never come back).</summary>
public static class MagnitudeScores
{
    public static Tensor Of(MaskedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        using var magnitude = layer.Weight.detach().abs();
        using var pruned = full_like(magnitude, HeldScalars.MinusOne);
        return where(layer.Mask, magnitude, pruned);
    }
}
