using GraNet.Sparsity.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Flops;

/// <summary>
/// FLOPs of a forward pass as the paper and RigL count them (spec §8): only convolution and
/// linear layers, 2 FLOPs per multiply-add: <c>2 · nnz(W) · H_out · W_out</c> for a convolution,
/// <c>2 · nnz(W)</c> for a linear layer (per sample). Output sizes are measured once by a
/// forward pass on one zero sample.
/// </summary>
public sealed class FlopCounter
{
    private readonly List<(long Weights, long Positions, MaskedLayer? Masked)> layers;

    private FlopCounter(List<(long Weights, long Positions, MaskedLayer? Masked)> layers)
    {
        this.layers = layers;
        DenseForward = layers.Sum(l => 2.0 * l.Weights * l.Positions);
    }

    /// <summary>Forward FLOPs per sample of the dense model.</summary>
    public double DenseForward { get; }

    /// <summary>Measures output sizes with a forward pass on a zero sample of <paramref name="sampleShape"/> (<c>[C, H, W]</c>).</summary>
    public static FlopCounter Measure(nn.Module<Tensor, Tensor> model, long[] sampleShape, MaskSet? masks)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleShape);
        var positions = new Dictionary<nint, long>();
        var removers = new List<Action>();
        var weights = new List<(nint Handle, long Count)>();
        foreach (var (_, module) in model.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    weights.Add((conv.weight!.Handle, conv.weight.numel()));
                    nint convHandle = conv.weight.Handle;
                    var convRemover = conv.register_forward_hook((_, _, output) =>
                    {
                        positions[convHandle] = output.shape[2] * output.shape[3];
                        return output;
                    });
                    removers.Add(convRemover.remove);
                    break;
                case Linear linear:
                    weights.Add((linear.weight!.Handle, linear.weight.numel()));
                    nint linearHandle = linear.weight.Handle;
                    var linearRemover = linear.register_forward_hook((_, _, output) =>
                    {
                        positions[linearHandle] = output.shape[..^1].Skip(1).Aggregate(1L, (a, b) => a * b);
                        return output;
                    });
                    removers.Add(linearRemover.remove);
                    break;
                default:
                    break;
            }
        }
        bool training = model.training;
        try
        {
            model.eval();
            using var guard = no_grad();
            using var scope = NewDisposeScope();
            var sample = zeros([1, .. sampleShape]);
            model.call(sample);
        }
        finally
        {
            foreach (var remover in removers)
            {
                remover();
            }
            model.train(training);
        }
        var byHandle = masks?.Layers.ToDictionary(l => (nint)l.Weight.Handle) ?? [];
        var list = weights
            .Where(w => positions.ContainsKey(w.Handle))
            .Select(w => (w.Count, positions[w.Handle], byHandle.GetValueOrDefault(w.Handle)))
            .ToList();
        return new FlopCounter(list);
    }

    /// <summary>Forward FLOPs per sample at the current masks.</summary>
    public double Forward() => layers.Sum(l => 2.0 * (l.Masked?.ActiveCount ?? l.Weights) * l.Positions);
}
