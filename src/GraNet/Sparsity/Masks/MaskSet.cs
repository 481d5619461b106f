using GraNet.Models;
using GraNet.Runtime;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Masks;

/// <summary>
/// The masks of a model: one <see cref="MaskedLayer"/> per convolution and linear weight, in
/// <see cref="ModuleOrder"/> (PyTorch's module order). Biases, normalisation parameters and buffers are never masked. Applies the
/// masks to the weights and to the optimizer's per-weight state.
/// </summary>
public sealed class MaskSet : IDisposable
{
    private readonly optim.Optimizer? optimizer;

    /// <summary>The weight left dense as the first layer (<c>denseFirstLayer</c>), if any.</summary>
    private readonly string? denseFirst;

    private MaskSet(IReadOnlyList<MaskedLayer> layers, optim.Optimizer? optimizer, string? denseFirst)
    {
        Layers = layers;
        this.optimizer = optimizer;
        this.denseFirst = denseFirst;
        Total = layers.Sum(l => l.Count);
    }

    public IReadOnlyList<MaskedLayer> Layers { get; }

    /// <summary>Total maskable weights.</summary>
    public long Total { get; }

    public long Active => Layers.Sum(l => l.ActiveCount);

    public double Density => Total == 0 ? 1 : (double)Active / Total;

    /// <summary>Share of all maskable weights that have ever been active (in-time over-parameterisation rate).</summary>
    public double EverActiveFraction => Total == 0 ? 1 : (double)Layers.Sum(l => l.EverActiveCount()) / Total;

    /// <summary>
    /// Masks every convolution and linear weight of <paramref name="model"/> that is trained (all active at first);
    /// frozen weights (<c>requires_grad</c> off) stay dense, and a weight shared by several modules is masked once.
    /// </summary>
    /// <param name="optimizer">The optimizer that trains the model (its per-weight state is masked too); null for masks alone.</param>
    /// <param name="denseFirstLayer">Leave the first such layer unmasked.</param>
    /// <exception cref="ArgumentException">The model has no trainable convolution or linear layer, one of their weights is not in CPU memory, or <paramref name="optimizer"/> does not hold one of their weights.</exception>
    public static MaskSet ForModel(nn.Module model, optim.Optimizer? optimizer, bool denseFirstLayer = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        // Each of the optimizer's entries by the memory it trains: a tied weight may be there under several handles.
        var parameters = optimizer?.parameters().Select(TensorMemory.Of).ToList() ?? [];
        var layers = new List<MaskedLayer>();
        // Every weight met so far, the dense first one included, so that a module used twice (or a weight tied to a later
        // module's) is masked once, under its first name, and a dense first layer stays dense wherever it is used again.
        var seen = new HashSet<TensorMemory>();
        bool skipped = !denseFirstLayer;
        string? denseFirst = null;
        foreach (var (name, module) in ModuleOrder.DepthFirst(model))
        {
            Parameter? weight = module switch
            {
                Conv1d c => c.weight,
                Conv2d c => c.weight,
                Conv3d c => c.weight,
                Linear l => l.weight,
                _ => null,
            };
            if (weight is null)
            {
                continue;
            }
            if (weight.device_type != DeviceType.CPU)
            {
                throw new ArgumentException($"{name}.weight is on {weight.device}: the masks and their selections run in CPU memory only; move the model to the CPU (model.to(CPU)) before creating its optimizer and the masks.");
            }
            var memory = TensorMemory.Of(weight);
            if (!seen.Add(memory))
            {
                continue;
            }
            if (!skipped)
            {
                skipped = true;
                denseFirst = name + ".weight";
                continue;
            }
            if (!weight.requires_grad)
            {
                continue; // frozen: not trained, so not pruned or regrown either
            }
            int[] indices = [.. Enumerable.Range(0, parameters.Count).Where(i => parameters[i] == memory)];
            if (optimizer is not null && indices.Length == 0)
            {
                throw new ArgumentException($"The optimizer does not hold {name}.weight; give the optimizer that trains this model, so that the masks reach its state too.");
            }
            layers.Add(new MaskedLayer(name + ".weight", weight, indices));
        }
        if (layers.Count == 0)
        {
            // A native module's name is libtorch's C++ class (torch::nn::SequentialImpl): the .NET type's says what the caller built.
            string name = model.GetName() is { } given && !given.Contains("::", StringComparison.Ordinal) ? given : model.GetType().Name;
            throw new ArgumentException($"Model '{name}' has no trainable convolution or linear layer to mask{(denseFirstLayer ? " besides the first (set SparsityOptions.DenseFirstLayer to false)" : string.Empty)}.");
        }
        return new MaskSet(layers, optimizer, denseFirst);
    }

    /// <summary>Zeroes inactive weights and their optimizer state.</summary>
    public void Apply()
    {
        RequireLiveWeights();
        using var guard = no_grad();
        var states = optimizer is null ? [] : OptimizerStateAccess.States(optimizer);
        foreach (var layer in Layers)
        {
            ZeroInactive(layer.Weight, layer.Mask);
            foreach (int index in layer.OptimizerIndices)
            {
                foreach (var state in OptimizerStateAccess.PerWeightState(states, index))
                {
                    ZeroInactive(state, layer.Mask);
                }
            }
        }
    }

    /// <summary>
    /// Refuses masks whose weights are gone (libtorch would say only "Tensor invalid"): a handle check per layer, no
    /// native call.
    /// </summary>
    /// <exception cref="InvalidOperationException">A layer's weight was disposed with its model, or replaced by <c>model.to(...)</c>.</exception>
    public void RequireLiveWeights()
    {
        if (Layers.FirstOrDefault(l => l.Weight.IsInvalid) is { } gone)
        {
            throw new InvalidOperationException($"The weight of {gone.Name} is gone: the model's parameters were replaced or disposed after the controller was created (model.to(...) to another type or device replaces them; disposing the model frees them); move or convert the model first, then create the optimizer and the controller, and keep the model alive while they are used.");
        }
    }

    /// <summary>
    /// <c>values *= mask</c> in place. On the CPU it runs over the tensors' memory: libtorch's
    /// <c>mul_</c> with a bool mask first converts the mask to a float tensor as large as the
    /// weights, on every step.
    /// </summary>
    private static void ZeroInactive(Tensor values, Tensor mask)
    {
        if (values.device_type != DeviceType.CPU || values.dtype != ScalarType.Float32 || !values.is_contiguous() || !mask.is_contiguous() || mask.device_type != DeviceType.CPU)
        {
            values.mul_(mask);
            return;
        }
        // Multiplying by the 0/1 byte (not branching on it) is what mul_ computes, without a branch the random mask would mispredict.
        var target = MemoryMarshal.Cast<byte, float>(values.bytes);
        var keep = mask.bytes;
        for (int i = 0; i < target.Length; i++)
        {
            target[i] *= keep[i];
        }
    }

    /// <summary>Zeroes the weights and optimizer state at <paramref name="positions"/> of a layer (newly grown connections start at 0).</summary>
    public void ZeroAt(MaskedLayer layer, Tensor positions)
    {
        ArgumentNullException.ThrowIfNull(layer);
        using var guard = no_grad();
        layer.Weight.masked_fill_(positions, HeldScalars.Zero);
        if (optimizer is null)
        {
            return;
        }
        var states = OptimizerStateAccess.States(optimizer);
        foreach (int index in layer.OptimizerIndices)
        {
            foreach (var state in OptimizerStateAccess.PerWeightState(states, index))
            {
                state.masked_fill_(positions, HeldScalars.Zero);
            }
        }
    }

    /// <summary>The optimizer the masks apply to, if any.</summary>
    public optim.Optimizer? Optimizer => optimizer;

    /// <summary>Starts the ever-active record afresh from the current masks.</summary>
    public void ResetEverActive()
    {
        foreach (var layer in Layers)
        {
            layer.ResetEverActive();
        }
    }

    /// <summary>Writes every mask and ever-active record (1 byte per weight each).</summary>
    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Layers.Count);
        foreach (var layer in Layers)
        {
            writer.Write(layer.Name);
            writer.Write(layer.Count);
            writer.Write(layer.Mask.bytes);
            writer.Write(layer.EverActive.bytes);
        }
    }

    /// <summary>
    /// Reads what <see cref="Save"/> wrote; the layers must match by name and size (in any order:
    /// checkpoints written before the masks followed <see cref="ModuleOrder"/> list nested models' layers in another order).
    /// Everything is read and checked before any mask changes: a refused state leaves the masks and weights as they were.
    /// </summary>
    /// <exception cref="InvalidDataException">The layers differ from this model's.</exception>
    /// <exception cref="InvalidDataException">The file ends inside a mask.</exception>
    public void Load(BinaryReader reader)
    {
        Read(reader).Set();
        Apply();
    }

    /// <summary>Reads and checks what <see cref="Save"/> wrote without changing anything; <see cref="LoadedMasks.Set"/> sets it.</summary>
    /// <exception cref="InvalidDataException">The layers differ from this model's.</exception>
    /// <exception cref="InvalidDataException">The file ends inside a mask.</exception>
    internal LoadedMasks Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int count = reader.ReadInt32();
        if (count != Layers.Count)
        {
            throw new InvalidDataException($"The checkpoint has {count} masked layers, this model {Layers.Count}; use the same model and SparsityOptions.DenseFirstLayer setting.");
        }
        var byName = Layers.ToDictionary(l => l.Name);
        var read = new List<(MaskedLayer Layer, byte[] Mask, byte[] Ever)>(count);
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            long size = reader.ReadInt64();
            if (name == denseFirst)
            {
                throw new InvalidDataException($"The checkpoint masks {name}, which this version keeps dense as the first layer (SparsityOptions.DenseFirstLayer): it was written before layers followed PyTorch's module order, when a nested model's first layer was taken to be another; train the run again, or finish it with the version that started it.");
            }
            if (!byName.TryGetValue(name, out var layer) || size != layer.Count || read.Exists(r => r.Layer == layer))
            {
                string mine = layer is null ? "no masked layer of that name" : $"{layer.Name} ({layer.Count})";
                throw new InvalidDataException($"The checkpoint's masked layer {name} ({size} weights) does not match this model's ({mine}); use the same model and SparsityOptions.DenseFirstLayer setting.");
            }
            read.Add((layer, ReadExactly(reader, size, name), ReadExactly(reader, size, name)));
        }
        return new LoadedMasks(read);
    }

    /// <summary>The masks and ever-active records as they are now, to be set again by <see cref="LoadedMasks.Set"/>.</summary>
    internal LoadedMasks Snapshot() => new(Layers.Select(l => (l, l.Mask.bytes.ToArray(), l.EverActive.bytes.ToArray())).ToList());

    /// <summary>Masks and ever-active records read (or kept) without changing the layers; <see cref="Set"/> puts them on the layers.</summary>
    internal sealed class LoadedMasks(IReadOnlyList<(MaskedLayer Layer, byte[] Mask, byte[] Ever)> layers)
    {
        /// <summary>Sets the masks and records on their layers; the weights are not touched (<see cref="Apply"/> zeroes the inactive ones).</summary>
        public void Set()
        {
            foreach (var (layer, maskBytes, everBytes) in layers)
            {
                using var maskValues = tensor(maskBytes, ScalarType.Byte);
                using var everValues = tensor(everBytes, ScalarType.Byte);
                using var mask = maskValues.to(ScalarType.Bool);
                using var ever = everValues.to(ScalarType.Bool);
                layer.SetMask(mask);
                using var shapedEver = ever.reshape(layer.Shape);
                layer.EverActive.copy_(shapedEver);
            }
        }
    }

    /// <exception cref="InvalidDataException">The file ends before <paramref name="size"/> bytes (a truncated checkpoint).</exception>
    private static byte[] ReadExactly(BinaryReader reader, long size, string name)
    {
        byte[] bytes = reader.ReadBytes(checked((int)size));
        return bytes.Length == size ? bytes : throw new InvalidDataException($"The saved state ends inside the mask of {name} (a truncated file); give the whole of what Save wrote.");
    }

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }
    }
}
