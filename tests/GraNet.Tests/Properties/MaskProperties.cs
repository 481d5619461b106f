using CsCheck;
using GraNet.Sparsity.Masks;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Properties;

/// <summary>Masks: their counts, the ever-active record, and a saved state read back.</summary>
public class MaskProperties
{
    /// <summary>Layers with their first masks, and 1 to 4 later masks per layer.</summary>
    private static readonly Gen<(LayerSpec[] Layers, bool[][][] Later)> Histories =
        Nets.Layers.SelectMany(layers =>
            Gen.Bool.Array[(int)layers.Sum(l => l.Count)].Array[1, 4].Select(updates => (layers, ByLayer(layers, updates))));

    /// <summary>Masks of all layers, one flat array per update, as [layer][update] arrays.</summary>
    private static bool[][][] ByLayer(LayerSpec[] layers, bool[][] updates)
    {
        var byLayer = new bool[layers.Length][][];
        int offset = 0;
        for (int l = 0; l < layers.Length; l++)
        {
            int start = offset;
            byLayer[l] = updates.Select(u => u[start..(start + (int)layers[l].Count)]).ToArray();
            offset += (int)layers[l].Count;
        }
        return byLayer;
    }

    /// <summary>Sets the later masks in order; the ever-active record expected: the first masks or'ed with all later ones.</summary>
    private static bool[][] Replay(MaskSet masks, LayerSpec[] layers, bool[][][] later)
    {
        masks.ResetEverActive();
        var ever = layers.Select(l => (bool[])l.Mask.Clone()).ToArray();
        for (int u = 0; u < later[0].Length; u++)
        {
            for (int l = 0; l < layers.Length; l++)
            {
                using var mask = tensor(later[l][u]);
                masks.Layers[l].SetMask(mask);
                for (int i = 0; i < ever[l].Length; i++)
                {
                    ever[l][i] |= later[l][u][i];
                }
            }
        }
        return ever;
    }

    [Fact]
    public void Counts_density_and_the_ever_active_record_follow_every_mask_set() =>
        Property.ForAll(Histories, input =>
        {
            var (layers, later) = input;
            using var scope = NewDisposeScope();
            using var model = Nets.Model(layers);
            using var masks = Nets.Masks(model, layers);
            bool[][] ever = Replay(masks, layers, later);
            long total = layers.Sum(l => l.Count);
            long active = 0;
            for (int l = 0; l < layers.Length; l++)
            {
                var layer = masks.Layers[l];
                bool[] current = later[l][^1];
                Assert.Equal(Reference.Show(current), Reference.Show(Reference.Bools(layer.Mask)));
                Assert.Equal(current.LongCount(m => m), layer.ActiveCount);
                Assert.Equal((double)layer.ActiveCount / layer.Count, layer.Density);
                Assert.Equal(Reference.Show(ever[l]), Reference.Show(Reference.Bools(layer.EverActive)));
                Assert.Equal(ever[l].LongCount(e => e), layer.EverActiveCount());
                active += layer.ActiveCount;
            }
            Assert.Equal((total, active), (masks.Total, masks.Active));
            Assert.Equal((double)active / total, masks.Density);
            Assert.Equal((double)ever.Sum(e => e.LongCount(x => x)) / total, masks.EverActiveFraction);
        }, iterations: 150);

    [Fact]
    public void Saved_masks_and_ever_active_records_load_back_into_another_model_of_the_same_layers() =>
        Property.ForAll(Histories, input =>
        {
            var (layers, later) = input;
            using var scope = NewDisposeScope();
            using var model = Nets.Model(layers);
            using var masks = Nets.Masks(model, layers);
            bool[][] ever = Replay(masks, layers, later);
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                masks.Save(writer);
            }
            stream.Position = 0;

            // Another model of the same layers, all active and ever active, with other weights (the drawn ones, negated).
            var others = layers.Select(l => l with { Weights = l.Weights.Select(w => -w - 0.25f).ToArray() }).ToArray();
            using var otherModel = Nets.Model(others);
            using var loaded = MaskSet.ForModel(otherModel, null);
            using (var reader = new BinaryReader(stream))
            {
                loaded.Load(reader);
            }
            Assert.Equal((masks.Active, masks.EverActiveFraction), (loaded.Active, loaded.EverActiveFraction));
            for (int l = 0; l < layers.Length; l++)
            {
                bool[] mask = later[l][^1];
                Assert.Equal(Reference.Show(mask), Reference.Show(Reference.Bools(loaded.Layers[l].Mask)));
                Assert.Equal(Reference.Show(ever[l]), Reference.Show(Reference.Bools(loaded.Layers[l].EverActive)));
                Assert.Equal(mask.LongCount(m => m), loaded.Layers[l].ActiveCount);
                // Loading applies the masks: the loaded model's weights are 0 where inactive and its own where active.
                float[] weights = Reference.Floats(loaded.Layers[l].Weight);
                Assert.Equal(others[l].Weights.Select((w, i) => mask[i] ? w : 0f).ToArray(), weights);
            }
        }, iterations: 150);
}
