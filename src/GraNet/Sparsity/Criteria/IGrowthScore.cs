using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>Scores positions of a layer for regrowth; the largest scores among inactive positions grow.</summary>
public interface IGrowthScore
{
    /// <summary>
    /// A tensor shaped like the layer's weight (or flat, of its size); larger is better. Return a new tensor: the caller
    /// disposes it at the end of the event, so a tensor the score keeps must not be returned itself (return a copy).
    /// </summary>
    Tensor Score(MaskedLayer layer, MaskSet masks);

    /// <summary>
    /// Called when the controller is attached, before anything changes: refuses (with an <see cref="ArgumentException"/>)
    /// an optimizer or model this score cannot rank with (e.g. momentum growth with an optimizer that keeps no momentum).
    /// </summary>
    void RequireSupported(MaskSet masks)
    {
    }

    /// <summary>
    /// Called before a step with a growth event changes anything (before its pruning and <see cref="AfterStep"/>): refuses
    /// an event this score cannot rank (e.g. no gradient), so that the caller can correct the loop with the masks untouched.
    /// </summary>
    void RequireReady(MaskSet masks)
    {
    }

    /// <summary>Called after every optimizer step, before any mask update of that step (e.g. to accumulate gradients).</summary>
    void AfterStep(MaskSet masks)
    {
    }

    /// <summary>Writes any state (e.g. a random generator) into a checkpoint; the same bytes each time it is called between two steps (the controller writes its state twice: once to count its length).</summary>
    void Save(BinaryWriter writer)
    {
    }

    /// <summary>Reads what <see cref="Save"/> wrote; <paramref name="masks"/> are the run's (already loaded) masks, giving the layers' names and shapes.</summary>
    void Load(BinaryReader reader, MaskSet masks)
    {
    }
}
