using CsCheck;
using GraNet.Sparsity.Flops;
using GraNet.Sparsity.Masks;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Properties;

/// <summary>Spec §8: forward FLOPs of a convolution and a linear layer at their masks, relative to dense.</summary>
public class FlopProperties
{
    /// <summary>conv (in, out, kernel) on an H x W input, flattened into a linear layer of some outputs; masks drawn.</summary>
    private static readonly Gen<(int In, int Out, int Kernel, int Height, int Width, int Outputs, bool[] ConvMask, bool[] LinearMask, bool Dense)> Inputs =
        Gen.Select(Gen.Int[1, 3], Gen.Int[1, 4], Gen.Int[1, 3], Gen.Int[0, 5], Gen.Int[0, 5], Gen.Int[1, 5])
            .SelectMany((cin, cout, k, h, w, outputs) =>
            {
                int convWeights = cout * cin * k * k;
                int features = cout * (h + 1) * (w + 1);
                return Gen.Select(Gen.Bool.Array[convWeights], Gen.Bool.Array[features * outputs], Gen.Bool)
                    .Select((convMask, linearMask, dense) => (cin, cout, k, h + k, w + k, outputs, convMask, linearMask, dense));
            });

    [Fact]
    public void Relative_forward_flops_are_active_weights_times_output_positions_over_dense_and_1_at_dense_masks() =>
        Property.ForAll(Inputs, input =>
        {
            var (cin, cout, k, height, width, outputs, convMask, linearMask, dense) = input;
            using var scope = NewDisposeScope();
            long positions = (long)(height - k + 1) * (width - k + 1);
            using var model = nn.Sequential(
                ("conv", nn.Conv2d(cin, cout, k, bias: false)),
                ("flat", nn.Flatten()),
                ("fc", nn.Linear(cout * positions, outputs)));
            using var masks = MaskSet.ForModel(model, null);
            var counter = FlopCounter.Measure(model, [cin, height, width], masks);
            if (!dense)
            {
                using var conv = tensor(convMask);
                using var linear = tensor(linearMask);
                masks.Layers[0].SetMask(conv);
                masks.Layers[1].SetMask(linear);
            }
            long convActive = dense ? convMask.Length : convMask.LongCount(m => m);
            long linearActive = dense ? linearMask.Length : linearMask.LongCount(m => m);
            // 2 FLOPs per multiply-add: a conv weight at every output position, a linear weight once per sample.
            double denseForward = 2.0 * ((convMask.Length * positions) + linearMask.Length);
            Assert.Equal(denseForward, counter.DenseForward);
            Assert.Equal(2.0 * ((convActive * positions) + linearActive), counter.Forward());
            double relative = counter.Forward() / counter.DenseForward;
            Assert.InRange(relative, 0, 1);
            if (dense)
            {
                Assert.Equal(1, relative);
            }
        }, iterations: 100);
}
