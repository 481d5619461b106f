using GraNet.Data;
using GraNet.Models;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Models;

public class ResNetTests
{
    [Fact]
    public void The_zero_pad_shortcut_subsamples_and_pads_the_new_channels_evenly_on_both_sides()
    {
        // 4 → 8 channels at stride 2 with a body whose convolutions are all zero: in evaluation its batch norms
        // (mean 0, variance 1, scale 1, shift 0) give 0, so the block is relu(shortcut). With x[c, y, x] = 16c + 4y + x + 1,
        // the shortcut holds x[c, 2i, 2j] = 16c + 8i + 2j + 1 in channels 2..5 and zeros in channels 0, 1, 6 and 7.
        using var block = new ResNetBlock("block", "block", 4, 8, 2, bottleneck: false, zeroPadShortcut: true);
        block.eval();
        using var guard = no_grad();
        foreach (var (name, parameter) in block.named_parameters())
        {
            if (name.Contains("conv", StringComparison.Ordinal))
            {
                parameter.zero_();
            }
        }
        using var input = tensor(Enumerable.Range(1, 64).Select(v => (float)v).ToArray()).reshape(1, 4, 4, 4);
        using var output = block.call(input);
        Assert.Equal([1L, 8L, 2L, 2L], output.shape);
        var values = output.data<float>().ToArray();
        for (int channel = 0; channel < 8; channel++)
        {
            for (int i = 0; i < 2; i++)
            {
                for (int j = 0; j < 2; j++)
                {
                    float expected = channel is >= 2 and <= 5 ? (16 * (channel - 2)) + (8 * i) + (2 * j) + 1 : 0;
                    Assert.Equal(expected, values[(channel * 4) + (i * 2) + j]);
                }
            }
        }
    }

    [Theory]
    [InlineData("resnet20", "16x32x32 16x32x32 16x32x32 32x16x16 32x16x16 32x16x16 64x8x8 64x8x8 64x8x8")]
    [InlineData("resnet18", "64x32x32 64x32x32 128x16x16 128x16x16 256x8x8 256x8x8 512x4x4 512x4x4")]
    public void Each_stage_after_the_first_halves_the_feature_map_in_its_first_block(string name, string shapes)
    {
        using var model = ModelRegistry.Create(name, new ImageShape(3, 32, 32), 10);
        model.eval();
        var children = model.named_children().ToDictionary(c => c.name, c => c.module);
        using var guard = no_grad();
        using var scope = NewDisposeScope();
        var x = ((nn.Module<Tensor, Tensor>)children["stem"]).call(randn(1, 3, 32, 32));
        var seen = new List<string>();
        foreach (var (_, block) in children["stages"].named_children())
        {
            x = ((nn.Module<Tensor, Tensor>)block).call(x);
            seen.Add(string.Join("x", x.shape.Skip(1)));
        }
        Assert.Equal(shapes, string.Join(" ", seen));
    }

    [Theory]
    [InlineData(false, false, 1)] // identity shortcut
    [InlineData(false, false, 2)] // projection shortcut
    [InlineData(true, false, 1)] // bottleneck, projection (the channels grow 4x)
    [InlineData(false, true, 2)] // zero-padding shortcut
    public void A_block_computes_relu_of_its_body_plus_its_shortcut_bit_for_bit_in_training_and_evaluation(bool bottleneck, bool zeroPad, int stride)
    {
        // The block runs its stage list; this composes its registered modules by hand, as a checkpoint holds them.
        manual_seed(5);
        long inChannels = bottleneck ? 8 : stride == 1 ? 8 : 4;
        using var block = new ResNetBlock("block", "block", inChannels, 8, stride, bottleneck, zeroPad);
        var children = block.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
        foreach (bool training in new[] { true, false })
        {
            block.train(training);
            using var guard = no_grad();
            using var scope = NewDisposeScope();
            var x = randn(2, inChannels, 8, 8);
            var body = children["body"].call(x);
            var shortcut = children.TryGetValue("projection", out var projection) ? projection.call(x)
                : zeroPad ? nn.functional.pad(x[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)], [0, 0, 0, 0, 2, 2])
                : x;
            var expected = nn.functional.relu(body.add(shortcut, GraNet.Runtime.HeldScalars.One));
            var actual = block.call(x);
            Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
        }
    }

    [Fact]
    public void Every_stage_of_a_resnet_names_the_parameters_of_its_layer()
    {
        foreach (string name in new[] { "resnet20", "resnet50" })
        {
            using var model = ModelRegistry.Create(name, new ImageShape(3, 32, 32), 10);
            var parameters = model.named_parameters().Select(p => p.name).ToHashSet();
            var stages = All(((ISequentialNetwork)model).Stages).ToList();
            var named = stages.OfType<ConvolutionStage>().Select(s => s.Name).Concat(stages.OfType<BatchNormStage>().Select(s => s.Name)).Append("fc").ToList();
            Assert.All(named, n => Assert.Contains(n + ".weight", parameters));
            // Every weight of the model is in some stage: the engine leaves none out.
            Assert.Equal(parameters.Where(p => p.EndsWith(".weight", StringComparison.Ordinal)).Order(), named.Select(n => n + ".weight").Order());
        }

        static IEnumerable<NetworkStage> All(IReadOnlyList<NetworkStage> list) =>
            list.SelectMany(s => s is ResidualStage r ? All(r.Main).Concat(All(r.Shortcut)) : [s]);
    }
}
