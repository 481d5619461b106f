using CsCheck;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Properties;

/// <summary>Spec §4 (neuroregeneration, layer by layer) and §7 (growth over all layers together).</summary>
public class RegenerationProperties
{
    /// <summary>A growth score fixed in advance, per layer.</summary>
    private sealed class FixedScores(IReadOnlyList<float[]> scores) : IGrowthScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks)
        {
            int l = masks.Layers.ToList().IndexOf(layer);
            using var values = tensor(scores[l]);
            return values.to_type(layer.Weight.dtype).reshape(layer.Shape);
        }
    }

    /// <summary>Layers, a growth score for each position, a rate in [0, 1], float32 or float64 weights.</summary>
    private static readonly Gen<(LayerSpec[] Layers, float[][] Scores, double Rate, bool Wide)> Inputs =
        Nets.Layers.SelectMany(layers =>
            Gen.Select(Nets.TiedWeight.Array[(int)layers.Sum(l => l.Count)], Gen.Double[0, 1], Gen.Bool)
                .Select((flat, rate, wide) => (layers, Split(flat, layers), rate, wide)));

    /// <summary>One flat array cut into one per layer.</summary>
    private static float[][] Split(float[] flat, LayerSpec[] layers)
    {
        var parts = new float[layers.Length][];
        int offset = 0;
        for (int l = 0; l < layers.Length; l++)
        {
            parts[l] = flat[offset..(offset + (int)layers[l].Count)];
            offset += (int)layers[l].Count;
        }
        return parts;
    }

    /// <summary>The spec's event on one layer, by sorting: the masks after it, and k.</summary>
    private static (bool[] After, long K) Expected(LayerSpec layer, float[] score, double rate)
    {
        long n = layer.Mask.LongCount(m => m);
        if (n == 0 || n == layer.Count)
        {
            return (layer.Mask, 0);
        }
        long k = Regenerator.MoveCount(rate, n);
        bool[] drop = Reference.Select(layer.Weights.Select(w => Math.Abs((double)w)).ToArray(), layer.Mask, k, smallest: true);
        bool[] afterDrop = layer.Mask.Select((m, i) => m && !drop[i]).ToArray();
        bool[] grow = Reference.Select(score.Select(s => (double)s).ToArray(), afterDrop.Select(a => !a).ToArray(), k);
        return (afterDrop.Select((a, i) => a || grow[i]).ToArray(), k);
    }

    [Fact]
    public void Regeneration_drops_the_k_smallest_active_and_grows_the_k_best_scored_inactive_keeping_each_layers_count() =>
        Property.ForAll(Inputs, input =>
        {
            var (layers, scores, rate, wide) = input;
            using var scope = NewDisposeScope();
            using var model = Nets.Model(layers, wide ? ScalarType.Float64 : ScalarType.Float32);
            using var masks = Nets.Masks(model, layers);
            var updates = new Regenerator(new FixedScores(scores)).Regenerate(masks, rate);
            Assert.Equal(layers.Length, updates.Count);
            for (int l = 0; l < layers.Length; l++)
            {
                var (expected, k) = Expected(layers[l], scores[l], rate);
                bool[] after = Reference.Bools(masks.Layers[l].Mask);
                Assert.Equal(Reference.Show(expected), Reference.Show(after));
                long before = layers[l].Mask.LongCount(m => m);
                long added = Enumerable.Range(0, after.Length).LongCount(i => after[i] && !layers[l].Mask[i]);
                Assert.Equal(before, masks.Layers[l].ActiveCount);
                Assert.Equal((before, k, added, added), (updates[l].Active, updates[l].Moved, updates[l].Added, updates[l].Removed));
            }
        }, iterations: 200);

    [Fact]
    public void Regeneration_starts_new_connections_at_zero_keeps_regrown_and_surviving_weights_and_zeroes_the_inactive() =>
        // The weights are drawn non-zero at inactive positions too: a grown one must start at 0 whatever it held.
        Property.ForAll(Inputs, input =>
        {
            var (layers, scores, rate, wide) = input;
            using var scope = NewDisposeScope();
            using var model = Nets.Model(layers, wide ? ScalarType.Float64 : ScalarType.Float32);
            using var masks = Nets.Masks(model, layers);
            new Regenerator(new FixedScores(scores)).Regenerate(masks, rate);
            for (int l = 0; l < layers.Length; l++)
            {
                bool[] after = Reference.Bools(masks.Layers[l].Mask);
                double[] weights = Reference.Doubles(masks.Layers[l].Weight);
                for (int i = 0; i < after.Length; i++)
                {
                    // Active before and after (kept, or dropped and grown again): its value; grown from inactive, or inactive now: 0.
                    double expected = after[i] && layers[l].Mask[i] ? layers[l].Weights[i] : 0;
                    Assert.True(expected == weights[i], $"layer {l}, position {i} (active before {layers[l].Mask[i]}, after {after[i]}): {weights[i]}, not {expected}");
                }
            }
        }, iterations: 200);

    [Fact]
    public void Global_growth_activates_the_min_count_inactive_of_largest_gradient_at_zero_and_nothing_else() =>
        Property.ForAll(Gen.Select(Inputs, Gen.Double[0, 1.2]), input =>
        {
            var ((layers, gradients, _, _), share) = input;
            if (gradients.All(g => g.All(x => x == 0)))
            {
                return; // no gradient at all is refused (its own test); not this property's concern
            }
            using var scope = NewDisposeScope();
            using var model = Nets.Model(layers);
            using var masks = Nets.Masks(model, layers);
            for (int l = 0; l < layers.Length; l++)
            {
                // backward of sum(w ⊙ g) leaves g as w's gradient
                var weight = masks.Layers[l].Weight;
                using var g = tensor(gradients[l]).reshape(weight.shape);
                using var product = weight.mul(g);
                using var sum = product.sum();
                sum.backward();
            }
            long inactive = masks.Total - masks.Active;
            long count = (long)(share * inactive);
            GlobalGradientGrowth.Grow(masks, count);

            bool[] before = layers.SelectMany(l => l.Mask).ToArray();
            bool[] grown = Reference.Select(gradients.SelectMany(g => g).Select(x => Math.Abs((double)x)).ToArray(), before.Select(b => !b).ToArray(), count);
            bool[] after = masks.Layers.SelectMany(l => Reference.Bools(l.Mask)).ToArray();
            Assert.Equal(Reference.Show(before.Select((b, i) => b || grown[i]).ToArray()), Reference.Show(after));
            Assert.Equal(Math.Min(count, inactive), after.LongCount(a => a) - before.LongCount(b => b));
            double[] weights = masks.Layers.SelectMany(l => Reference.Doubles(l.Weight)).ToArray();
            float[] drawn = layers.SelectMany(l => l.Weights).ToArray();
            for (int i = 0; i < weights.Length; i++)
            {
                Assert.True(weights[i] == (grown[i] ? 0 : drawn[i]), $"position {i} (grown {grown[i]}): {weights[i]}");
            }
        }, iterations: 200);
}
