using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>SET's growth: uniformly random scores from a seeded generator (saved with checkpoints).</summary>
public sealed class RandomGrowth(long seed) : IGrowthScore, IDisposable
{
    private readonly Generator generator = new Generator((ulong)seed);

    public Tensor Score(MaskedLayer layer, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return rand(layer.Shape, generator: generator);
    }

    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        using var state = generator.get_state();
        byte[] bytes = state.bytes.ToArray();
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    public void Load(BinaryReader reader, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int length = reader.ReadInt32();
        using (var current = generator.get_state())
        {
            // libtorch aborts the process (not a catchable error) on a state of another size.
            if (length != current.numel())
            {
                throw new InvalidDataException($"The checkpoint's random growth state has {length} bytes, libtorch's has {current.numel()}; the file is damaged, use another checkpoint.");
            }
        }
        byte[] bytes = reader.ReadBytes(length);
        if (bytes.Length != length)
        {
            throw new EndOfStreamException("the file ends inside the random growth's generator state");
        }
        using var state = tensor(bytes, ScalarType.Byte);
        generator.set_state(state);
    }

    public void Dispose() => generator.Dispose();
}
