using GraNet.Models;
using GraNet.Runtime;
using GraNet.Sparsity.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Flops;

/// <summary>
/// FLOPs of a forward pass as the paper and RigL count them (spec §8): only convolution and
/// linear layers, 2 FLOPs per multiply-add: <c>2 · nnz(W) · H_out · W_out</c> for a convolution,
/// <c>2 · nnz(W)</c> for a linear layer (per sample); 1-d and 3-d convolutions alike over their
/// output positions. Output sizes are measured once by a forward pass on one zero sample.
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

    /// <summary>
    /// Measures output sizes with a forward pass on a zero sample of <paramref name="sampleShape"/> (e.g. <c>[C, H, W]</c>),
    /// of element type <paramref name="inputType"/> (default: the type of the model's first parameter) on the model's device. A layer called several times per forward pass (shared weights) counts each call.
    /// </summary>
    /// <exception cref="ArgumentException">A forward pass of one such sample fails: the shape does not fit the model.</exception>
    public static FlopCounter Measure(nn.Module<Tensor, Tensor> model, long[] sampleShape, MaskSet? masks, ScalarType? inputType = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleShape);
        var first = model.parameters().FirstOrDefault();
        return Measure(model, () =>
        {
            var sample = zeros([1, .. sampleShape], dtype: inputType ?? first?.dtype ?? ScalarType.Float32, device: first?.device);
            model.call(sample);
        }, masks, e => $"sampleShape [{string.Join(", ", sampleShape)}] does not fit the model: a forward pass of one zero sample of that shape failed ({e}); give one input sample's shape without the batch dimension, e.g. [1, 28, 28], and for a model whose input is not floating point (token ids) its input type.", "sampleShape");
    }

    /// <summary>
    /// Measures output sizes with <paramref name="forwardOneSample"/>, which runs one forward pass of one sample (batch of 1)
    /// through <paramref name="model"/>: for models whose forward pass takes several inputs or returns several outputs. It
    /// runs in eval mode, without gradients, inside a dispose scope.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="forwardOneSample"/> failed.</exception>
    public static FlopCounter Measure(nn.Module model, Action forwardOneSample, MaskSet? masks)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forwardOneSample);
        return Measure(model, forwardOneSample, masks,
            e => $"the forward pass given for the FLOPs probe failed ({e}); give one that runs one sample (a batch of 1) through the model.", nameof(forwardOneSample));
    }

    private static FlopCounter Measure(nn.Module model, Action forward, MaskSet? masks, Func<string, string> failure, string parameter)
    {
        // Weights by the memory they are (TensorMemory), as the masks know them: a weight tied through two objects is one.
        var positions = new Dictionary<TensorMemory, long>();
        var removers = new List<Action>();
        var weights = new List<(TensorMemory Memory, long Count)>();
        var hooked = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        foreach (var (_, module) in ModuleOrder.DepthFirst(model))
        {
            // Convolutions: one multiply-add per weight at every output position (all dimensions after channels).
            // Linear layers: at every position of the dimensions between the batch and the features.
            var (weight, firstPositionDim, lastPositionDim) = module switch
            {
                Conv1d c => (c.weight, 2, 0),
                Conv2d c => (c.weight, 2, 0),
                Conv3d c => (c.weight, 2, 0),
                Linear l => (l.weight, 1, 1),
                _ => (null, 0, 0),
            };
            // One hook per module (a module used twice runs it twice); two modules that share one weight both count, on that weight.
            if (weight is null || !hooked.Add(module))
            {
                continue;
            }
            var memory = TensorMemory.Of(weight);
            if (!positions.ContainsKey(memory))
            {
                weights.Add((memory, weight.numel()));
                positions[memory] = 0;
            }
            var remover = ((nn.Module<Tensor, Tensor>)module).register_forward_hook((_, _, output) =>
            {
                positions[memory] += output.shape[firstPositionDim..^lastPositionDim].Aggregate(1L, (a, b) => a * b);
                return output;
            });
            removers.Add(remover.remove);
        }
        // Each module's own mode, restored after the probe: train(bool) sets a whole subtree, and a user may hold a part of
        // the model in eval mode (a frozen batch norm) while the rest trains.
        var modes = ModuleOrder.DepthFirst(model).Select(m => (m.Module, m.Module.training)).ToList();
        try
        {
            model.eval();
            using var guard = no_grad();
            using var scope = NewDisposeScope();
            forward();
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException(failure(ErrorText.FirstLine(e.Message)), parameter, e);
        }
        finally
        {
            foreach (var remover in removers)
            {
                remover();
            }
            foreach (var (module, training) in modes)
            {
                module.train(training); // parents before children, so each module ends in its own mode
            }
        }
        var byMemory = masks?.Layers.ToDictionary(l => TensorMemory.Of(l.Weight)) ?? [];
        var list = weights
            .Where(w => positions[w.Memory] > 0)
            .Select(w => (w.Count, positions[w.Memory], byMemory.GetValueOrDefault(w.Memory)))
            .ToList();
        return new FlopCounter(list);
    }

    /// <summary>Forward FLOPs per sample at the current masks.</summary>
    public double Forward()
    {
        // Counted at every training step: a plain loop, no enumerator to allocate.
        double total = 0;
        foreach (var (weights, positions, masked) in layers)
        {
            total += 2.0 * (masked?.ActiveCount ?? weights) * positions;
        }
        return total;
    }
}
