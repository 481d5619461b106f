using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Scores a layer's active weights at a regeneration event: the ones of smallest score are dropped (spec §4 drops the
/// smallest <c>|w|</c>, the <see cref="Regenerator"/>'s default without a drop score). Give one to the
/// <see cref="Regenerator"/> for another criterion, e.g. <c>|w| + λ|∂L/∂w|</c>.
/// </summary>
public interface IDropScore
{
    /// <summary>A new tensor shaped like the layer's weight (the caller disposes it); smaller drops first. Only the active positions are read.</summary>
    Tensor Score(MaskedLayer layer, MaskSet masks);
}
