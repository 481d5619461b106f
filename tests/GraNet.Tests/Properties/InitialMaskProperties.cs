using CsCheck;
using GraNet.Sparsity;
using GraNet.Sparsity.Distribution;
using GraNet.Sparsity.Masks;
using GraNet.Training.Optimizers;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Properties;

/// <summary>Spec §1: the initial masks a controller draws.</summary>
public class InitialMaskProperties
{
    [Fact]
    public void Each_layer_starts_with_exactly_round_dl_Nl_active_weights_and_zero_weights_elsewhere() =>
        // A static sparse run of a 2- to 4-layer perceptron: the layer densities of its distribution, counted exactly.
        Property.ForAll(Gen.Select(Gen.Int[1, 24].Array[3, 5], Gen.Double[0.02, 0.99], Gen.Enum<DistributionKind>(), Gen.Int[0, 1000]), input =>
        {
            var (widths, density, kind, seed) = input;
            using var scope = NewDisposeScope();
            manual_seed(seed);
            using var model = nn.Sequential(Enumerable.Range(0, widths.Length - 1)
                .Select(i => ($"fc{i}", (nn.Module<Tensor, Tensor>)nn.Linear(widths[i], widths[i + 1]))).ToList());
            using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1);
            var options = new SparsityOptions { Method = SparsityMethodKind.Static, Distribution = kind, FinalDensity = density };
            SparsityController controller;
            try
            {
                controller = SparsityController.Create(model, optimizer, options, stepsPerEpoch: 4, epochs: 1, [widths[0]], seed: seed);
            }
            catch (ArgumentException)
            {
                return; // a layer the distribution would leave empty is refused (its own tests); not this property's concern
            }
            using (controller)
            {
                var masks = controller.Masks;
                ILayerDensityDistribution distribution = kind == DistributionKind.Uniform ? new UniformDistribution() : new ErdosRenyiDistribution(kind == DistributionKind.ERK);
                double[] d = distribution.Densities(masks.Layers.Select(l => l.Shape).ToList(), density);
                for (int l = 0; l < d.Length; l++)
                {
                    var layer = masks.Layers[l];
                    Assert.Equal(MaskedLayer.KeepCount(d[l], layer.Count), layer.ActiveCount);
                    bool[] mask = Reference.Bools(layer.Mask);
                    float[] weights = Reference.Floats(layer.Weight);
                    Assert.All(Enumerable.Range(0, mask.Length), i => Assert.True(mask[i] || weights[i] == 0, $"{layer.Name}[{i}] inactive but {weights[i]}"));
                    Assert.Equal(Reference.Show(mask), Reference.Show(Reference.Bools(layer.EverActive)));
                }
                // Each layer rounded on its own: within half a weight per layer of d N.
                Assert.True(Math.Abs(masks.Active - (density * masks.Total)) <= (d.Length / 2.0) + 1e-9, $"{masks.Active} active, d N = {density * masks.Total}");
            }
        }, iterations: 60);
}
