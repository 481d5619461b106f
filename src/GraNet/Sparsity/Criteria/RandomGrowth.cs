using GraNet.IO;
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
        GeneratorState.Write(writer, state);
    }

    public void Load(BinaryReader reader, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(reader);
        using var current = generator.get_state();
        using var state = GeneratorState.Read(reader, current, "random growth state");
        generator.set_state(state);
    }

    public void Dispose() => generator.Dispose();
}
