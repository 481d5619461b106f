using GraNet.Runtime;
using GraNet.Sparsity.Masks;
using TorchSharp;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// SNFS's growth score: the magnitude of the gradient momentum <c>m ← β·m + ∂L/∂w</c> of every
/// position, active or not. The optimizer's own momentum is masked after every step (spec §2),
/// so it is zero at inactive positions and cannot rank them; this score therefore keeps its own
/// dense momentum (β = 0.9, whatever the optimizer; with SGD at momentum 0.9 it is that momentum), updated after every step and saved
/// with checkpoints. For active weights it equals SGD's buffer without weight decay.
/// </summary>
public sealed class MomentumGrowth(double beta = 0.9) : IGrowthScore, IDisposable
{
    private readonly Dictionary<string, Tensor> momenta = [];

    public double Beta { get; } = beta;

    public void AfterStep(MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        using var guard = no_grad();
        using Scalar beta = Beta.ToScalar();
        foreach (var layer in masks.Layers)
        {
            var grad = layer.Weight.grad;
            if (grad is null || grad.IsInvalid)
            {
                continue;
            }
            if (!momenta.TryGetValue(layer.Name, out var momentum))
            {
                momenta[layer.Name] = grad.detach().clone().DetachFromDisposeScope();
                continue;
            }
            momentum.mul_(beta).add_(grad, HeldScalars.One);
        }
    }

    public Tensor Score(MaskedLayer layer, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return momenta.TryGetValue(layer.Name, out var momentum) ? momentum.abs() : zeros_like(layer.Weight);
    }

    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(momenta.Count);
        foreach (var (name, momentum) in momenta)
        {
            writer.Write(name);
            writer.Write(momentum.numel());
            writer.Write(momentum.bytes);
        }
    }

    /// <summary>Reads what <see cref="Save"/> wrote, each momentum in its layer's shape.</summary>
    /// <exception cref="InvalidDataException">A saved momentum names no masked layer of <paramref name="masks"/>, or differs from it in size.</exception>
    public void Load(BinaryReader reader, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(masks);
        Dispose();
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            long size = reader.ReadInt64();
            var layer = masks.Layers.FirstOrDefault(l => l.Name == name);
            if (layer is null || layer.Count != size)
            {
                throw new InvalidDataException($"The checkpoint's growth momentum of {name} ({size} weights) matches no masked layer of this model; resume with the same model.");
            }
            byte[] bytes = reader.ReadBytes(checked((int)size * sizeof(float)));
            if (bytes.Length != size * sizeof(float))
            {
                throw new EndOfStreamException($"The checkpoint ends inside the growth momentum of {name}.");
            }
            var values = new float[size];
            Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
            momenta[name] = tensor(values).reshape(layer.Shape).DetachFromDisposeScope();
        }
    }

    public void Dispose()
    {
        foreach (var momentum in momenta.Values)
        {
            momentum.Dispose();
        }
        momenta.Clear();
    }
}
