using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Masks;

/// <summary>
/// One maskable weight tensor (a convolution or linear weight) and its boolean mask (1 byte per
/// weight). <see cref="EverActive"/> records which positions have been active at any time.
/// </summary>
public sealed class MaskedLayer : IDisposable
{
    /// <summary>
    /// How many of <paramref name="size"/> weights density <paramref name="density"/> keeps: <c>round(d · N)</c>, halves away
    /// from zero (spec §1 and §3; <see cref="WholeCounts.Round"/>), at most all of them. Every kept count of the library comes from here.
    /// </summary>
    public static long KeepCount(double density, long size) => WholeCounts.Round(Math.Min(1, density) * size);

    internal MaskedLayer(string name, Parameter weight, IReadOnlyList<int> optimizerIndices)
    {
        Name = name;
        Weight = weight;
        OptimizerIndices = optimizerIndices;
        Shape = weight.shape;
        Count = weight.numel();
        Mask = ones(Shape, ScalarType.Bool).DetachFromDisposeScope();
        EverActive = ones(Shape, ScalarType.Bool).DetachFromDisposeScope();
        ActiveCount = Count;
    }

    /// <summary>Qualified parameter name, e.g. <c>conv1.weight</c>.</summary>
    public string Name { get; }

    public Parameter Weight { get; }

    /// <summary>Position of <see cref="Weight"/> in the optimizer's parameter list (-1 if absent): the first of <see cref="OptimizerIndices"/>.</summary>
    public int OptimizerIndex => OptimizerIndices.Count > 0 ? OptimizerIndices[0] : -1;

    /// <summary>
    /// Every position of the optimizer's parameter list that trains <see cref="Weight"/>'s memory (empty without an
    /// optimizer): more than one when the model reaches a tied weight through several objects (an <c>Embedding</c>'s
    /// weight tied to a linear layer's), each with its own optimizer state, all masked.
    /// </summary>
    public IReadOnlyList<int> OptimizerIndices { get; }

    public long[] Shape { get; }

    /// <summary>Number of weights, <c>N_l</c>.</summary>
    public long Count { get; }

    /// <summary>True where the weight is active.</summary>
    public Tensor Mask { get; private set; }

    public Tensor EverActive { get; }

    /// <summary>Active weights, <c>n_l</c> (kept in step with <see cref="Mask"/>).</summary>
    public long ActiveCount { get; private set; }

    public double Density => (double)ActiveCount / Count;

    /// <summary>Replaces the mask with <paramref name="mask"/> (copied) and updates the counts.</summary>
    /// <param name="mask">A boolean tensor with as many entries as the weight (any shape of that size; true: active).</param>
    /// <exception cref="ArgumentException">Not boolean, or another number of entries than the weight has.</exception>
    public void SetMask(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dtype != ScalarType.Bool)
        {
            // copy_ would turn any non-zero value into true: a mask of scores or probabilities would keep everything.
            throw new ArgumentException($"The mask for {Name} is {mask.dtype}; a mask is boolean (true: active): make one with a comparison, e.g. scores.gt(threshold).", nameof(mask));
        }
        if (mask.numel() != Count)
        {
            throw new ArgumentException($"The mask for {Name} has {mask.numel()} entries, shape [{string.Join(", ", mask.shape)}]; the weight has {Count}, shape [{string.Join(", ", Shape)}].", nameof(mask));
        }
        using (no_grad())
        {
            using var shaped = mask.reshape(Shape);
            Mask.copy_(shaped);
            EverActive.logical_or_(Mask);
            using var count = Mask.count_nonzero();
            ActiveCount = count.item<long>();
        }
    }

    /// <summary>Number of positions that have ever been active.</summary>
    public long EverActiveCount()
    {
        using var sum = EverActive.sum();
        return sum.item<long>();
    }

    internal void ResetEverActive()
    {
        EverActive.copy_(Mask);
    }

    public void Dispose()
    {
        Mask.Dispose();
        EverActive.Dispose();
    }
}
