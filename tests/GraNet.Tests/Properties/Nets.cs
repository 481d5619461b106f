using CsCheck;
using GraNet.Sparsity.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Tests.Properties;

/// <summary>One masked layer as drawn: its shape (out, in), its weights and its mask, flat.</summary>
internal sealed record LayerSpec(long Out, long In, float[] Weights, bool[] Mask)
{
    public long Count => Out * In;

    /// <summary>Everything, for a failing property's message.</summary>
    public override string ToString() =>
        $"{Out}x{In} weights [{string.Join(", ", Weights.Select(w => w.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}] mask {string.Concat(Mask.Select(m => m ? '1' : '0'))}";
}

/// <summary>Small bias-free linear layers (never run forward: only their weights and masks matter) with drawn weights and masks.</summary>
internal static class Nets
{
    /// <summary>Weights with many ties in magnitude (±1, ±0.5, 2, 0) between some drawn from a range; all finite.</summary>
    public static readonly Gen<float> TiedWeight = Gen.Frequency(
        (4, Gen.OneOf(-2f, -1f, -0.5f, 0f, 0.5f, 1f, 2f)),
        (2, Gen.Float[-3f, 3f]));

    /// <summary>A layer of 1 to 8 by 1 to 8 weights; its mask all active, empty, or drawn.</summary>
    public static readonly Gen<LayerSpec> Layer =
        Gen.Select(Gen.Long[1, 8], Gen.Long[1, 8]).SelectMany((o, i) =>
            Gen.Select(TiedWeight.Array[(int)(o * i)], Gen.Frequency(
                    (1, Gen.Const(Enumerable.Repeat(true, (int)(o * i)).ToArray())),
                    (1, Gen.Const(new bool[o * i])),
                    (6, Gen.Bool.Array[(int)(o * i)])))
                .Select((w, m) => new LayerSpec(o, i, w, m)));

    public static readonly Gen<LayerSpec[]> Layers = Layer.Array[1, 3];

    /// <summary>The model (layers fc0, fc1, …) with the drawn weights, in <paramref name="type"/>.</summary>
    public static Sequential Model(IReadOnlyList<LayerSpec> layers, ScalarType type = ScalarType.Float32)
    {
        var modules = layers.Select((l, i) => ($"fc{i}", (nn.Module<Tensor, Tensor>)nn.Linear(l.In, l.Out, hasBias: false, dtype: type))).ToList();
        var model = nn.Sequential(modules);
        using (no_grad())
        {
            foreach (var ((_, module), layer) in modules.Zip(layers))
            {
                using var values = tensor(layer.Weights).reshape(layer.Out, layer.In);
                using var typed = values.to_type(type);
                ((Linear)module).weight!.copy_(typed);
            }
        }
        return model;
    }

    /// <summary>The model's masks, set to the drawn ones (the weights are left as drawn, also where inactive).</summary>
    public static MaskSet Masks(Sequential model, IReadOnlyList<LayerSpec> layers, optim.Optimizer? optimizer = null)
    {
        var masks = MaskSet.ForModel(model, optimizer);
        for (int l = 0; l < layers.Count; l++)
        {
            using var mask = tensor(layers[l].Mask);
            masks.Layers[l].SetMask(mask);
        }
        return masks;
    }
}
