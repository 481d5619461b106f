using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>SNFS's growth score: <c>|momentum|</c> (SGD buffer; Adam <c>m/(√v+1e-8)</c>), zero where the optimizer has none yet.</summary>
public sealed class MomentumGrowth : IGrowthScore
{
    public Tensor Score(MaskedLayer layer, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(masks);
        var momentum = masks.Optimizer is null ? null : OptimizerStateAccess.Momentum(masks.Optimizer, layer.OptimizerIndex);
        if (momentum is null)
        {
            return zeros_like(layer.Weight);
        }
        using (momentum)
        {
            return momentum.abs();
        }
    }
}
