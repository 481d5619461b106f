using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// The current gradient of a layer at a growth event, for the criteria that rank with it. A loop
/// that clears the gradients (<c>zero_grad</c>) before the mask update leaves every gradient zero
/// (the optimizer's <c>zero_grad</c>) or undefined (the module's), and growth would then take the
/// lowest positions of every layer, a fixed pattern; that is refused. Costs one reduction per
/// layer per growth event, and a look at the other parameters only when the layer's is zero.
/// </summary>
internal static class GrowthGradient
{
    /// <summary>
    /// The layer's gradient, or null if it is undefined or all zero while another parameter of the
    /// model has a non-zero one: a dead layer, which no gradient reaches in this mini-batch, so that
    /// none of its positions ranks above another.
    /// </summary>
    /// <param name="criterion">The criterion's name for the message, e.g. "gradient".</param>
    /// <exception cref="NoGradientException">No parameter of the model has a non-zero gradient.</exception>
    public static Tensor? Of(MaskedLayer layer, MaskSet masks, string criterion)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(masks);
        var grad = layer.Weight.grad;
        if (grad is not null && NonZero(grad))
        {
            return grad;
        }
        var parameters = masks.Optimizer?.parameters() ?? masks.Layers.Select(l => l.Weight);
        if (parameters.Any(p => p.grad is { } g && NonZero(g)))
        {
            return null;
        }
        string state = grad is null ? "undefined" : "all zeros";
        throw new NoGradientException(
            $"Every gradient of the model is zero or undefined at this growth event ({layer.Name}'s is {state}), so {criterion} growth cannot rank the positions to grow: call SparsityController.AfterOptimizerStep after optimizer.step() and before optimizer.zero_grad(), or, if it is called there, no gradient reaches the weights (the loss does not depend on them).");
    }

    /// <summary>
    /// Refuses a growth event at which no parameter of the model has a non-zero gradient, before the event changes anything
    /// (the controller calls it ahead of the step's pruning). One reduction when the first layer has a gradient, as it usually does.
    /// </summary>
    /// <exception cref="NoGradientException">No parameter of the model has a non-zero gradient.</exception>
    public static void RequireSome(MaskSet masks, string criterion)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.Layers.Count > 0)
        {
            // Of throws exactly when no parameter has a non-zero gradient; its answer for the first layer is not needed here.
            _ = Of(masks.Layers[0], masks, criterion);
        }
    }

    private static bool NonZero(Tensor grad)
    {
        if (grad.IsInvalid)
        {
            return false;
        }
        using var any = grad.any();
        return any.item<bool>();
    }
}
