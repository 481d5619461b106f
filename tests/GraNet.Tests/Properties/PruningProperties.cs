using CsCheck;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Properties;

/// <summary>Spec §3: global and layer-wise magnitude pruning.</summary>
public class PruningProperties
{
    [Fact]
    public void Global_pruning_keeps_exactly_the_round_dN_largest_active_magnitudes_ties_to_the_lower_position() =>
        // float32 weights take the radix selection, float64 ones libtorch's (ExactSelection): both must give the sort's answer.
        Property.ForAll(Gen.Select(Nets.Layers, Gen.Double[0, 1], Gen.Bool), input =>
        {
            var (layers, density, wide) = input;
            using var scope = NewDisposeScope();
            using var model = Nets.Model(layers, wide ? ScalarType.Float64 : ScalarType.Float32);
            using var masks = Nets.Masks(model, layers);
            long active = masks.Active;
            new GlobalMagnitudePruner().Prune(masks, density);

            long keep = Math.Min(active, MaskedLayer.KeepCount(density, masks.Total));
            double[] magnitudes = layers.SelectMany(l => l.Weights).Select(w => Math.Abs((double)w)).ToArray();
            bool[] before = layers.SelectMany(l => l.Mask).ToArray();
            bool[] expected = Reference.Select(magnitudes, before, keep);
            bool[] after = masks.Layers.SelectMany(l => Reference.Bools(l.Mask)).ToArray();
            Assert.Equal(keep, masks.Active);
            Assert.Equal(Reference.Show(expected), Reference.Show(after));
            // Spelled out: nothing comes back, and no kept weight is smaller than a dropped one.
            Assert.All(Enumerable.Range(0, after.Length), i => Assert.True(!after[i] || before[i]));
            var dropped = Enumerable.Range(0, after.Length).Where(i => before[i] && !after[i]).Select(i => magnitudes[i]);
            var kept = Enumerable.Range(0, after.Length).Where(i => after[i]).Select(i => magnitudes[i]);
            if (dropped.Any() && kept.Any())
            {
                Assert.True(kept.Min() >= dropped.Max(), $"kept |w| {kept.Min()} below dropped |w| {dropped.Max()}");
            }
        }, iterations: 200);

    [Fact]
    public void Layerwise_pruning_keeps_each_layers_largest_active_magnitudes_and_about_dN_in_all() =>
        Property.ForAll(Gen.Select(Nets.Layers, Gen.Double[0, 1], Gen.Bool), input =>
        {
            var (layers, density, wide) = input;
            using var scope = NewDisposeScope();
            using var model = Nets.Model(layers, wide ? ScalarType.Float64 : ScalarType.Float32);
            using var masks = Nets.Masks(model, layers);
            long active = masks.Active;
            bool allActive = active == masks.Total;
            new LayerwiseMagnitudePruner(classifierRule: false).Prune(masks, density);

            for (int l = 0; l < layers.Length; l++)
            {
                var layer = masks.Layers[l];
                bool[] after = Reference.Bools(layer.Mask);
                // Within the layer: the largest |w| among its active weights, ties to the lower position (so nothing comes back).
                bool[] expected = Reference.Select(layers[l].Weights.Select(w => Math.Abs((double)w)).ToArray(), layers[l].Mask, layer.ActiveCount);
                Assert.Equal(Reference.Show(expected), Reference.Show(after));
                if (allActive)
                {
                    Assert.Equal(MaskedLayer.KeepCount(density, layer.Count), layer.ActiveCount); // round(d N_l) each
                }
            }
            // Each layer's count is rounded on its own: the total is within half a weight per layer of d N (or of what is active).
            double target = Math.Min(density * masks.Total, active);
            Assert.True(Math.Abs(masks.Active - target) <= (layers.Length / 2.0) + 1e-9, $"kept {masks.Active}, target {target}");
        }, iterations: 200);
}
