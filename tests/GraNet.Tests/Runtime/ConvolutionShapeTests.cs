using GraNet.Data;
using GraNet.Models;
using GraNet.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Runtime;

public sealed class ConvolutionShapeTests
{
    [Fact]
    public void LeNet5_caffe_runs_its_two_convolutions_on_28x28_and_12x12_inputs()
    {
        // conv1: 1 → 20 channels, 5x5 on 28x28, giving 24x24, max-pooled to 12x12; conv2: 20 → 50, 5x5 on 12x12, giving 8x8.
        using var model = new LeNet5Caffe(new ImageShape(1, 28, 28), 10);
        var convolutions = ConvolutionShape.Of(model, [1, 28, 28], out var others);
        Assert.Empty(others);
        Assert.Equal(["conv1", "conv2"], convolutions.Select(c => c.Layer));
        Assert.Equal(new ConvolutionShape(1, 20, (28, 28), (5, 5), (1, 1), (0, 0), (1, 1), 1), convolutions[0].Shape);
        Assert.Equal(new ConvolutionShape(20, 50, (12, 12), (5, 5), (1, 1), (0, 0), (1, 1), 1), convolutions[1].Shape);
        Assert.Equal((24L, 24L), convolutions[0].Shape.Output);
        Assert.Equal((8L, 8L), convolutions[1].Shape.Output);
        Assert.Equal(OneDnnConvolutions.CheckShape, convolutions[1].Shape);
        Assert.Equal("20→50 channels, 12x12 input, kernel 5x5", convolutions[1].Shape.ToString());
    }

    [Fact]
    public void ResNet20_runs_19_convolutions_of_6_shapes_two_of_them_with_stride_2()
    {
        // The stem (3 → 16 on 32x32), then 3 stages of 3 blocks of two 3x3 convolutions each, padding 1: stage 1 at 16
        // channels on 32x32; the first convolution of stages 2 and 3 halves the size (stride 2) and doubles the channels; the
        // shortcuts pad with zeros (no convolution).
        using var model = ResNet.ResNet20(new ImageShape(3, 32, 32), 10);
        var convolutions = ConvolutionShape.Of(model, [3, 32, 32], out var others);
        Assert.Empty(others);
        Assert.Equal(19, convolutions.Count);
        static ConvolutionShape Conv(long c, long o, long size, long stride) => new(c, o, (size, size), (3, 3), (stride, stride), (1, 1), (1, 1), 1);
        Assert.Equal(
            [Conv(3, 16, 32, 1), Conv(16, 16, 32, 1), Conv(16, 32, 32, 2), Conv(32, 32, 16, 1), Conv(32, 64, 16, 2), Conv(64, 64, 8, 1)],
            convolutions.Select(c => c.Shape).Distinct());
        Assert.Equal(6 + 1, convolutions.Count(c => c.Shape == Conv(16, 16, 32, 1)) + 1);
        Assert.Equal("16→32 channels, 32x32 input, kernel 3x3, stride 2x2, padding 1x1", Conv(16, 32, 32, 2).ToString());
    }

    [Fact]
    public void Stride_padding_dilation_groups_and_same_padding_give_the_layers_own_output_size()
    {
        // 4 → 6 channels in 2 groups, kernel 3x5, stride 2x1, padding 3x1, dilation 2x1 on 11x9: output
        // ((11 + 6 − 2·2 − 1) / 2 + 1, (9 + 2 − 4 − 1) / 1 + 1) = (7, 7); then 'same' with a 4x4 kernel (3 padded in all per
        // side pair: 1 before, 2 after, so the shape holds an input one larger and padding 1) and a reflect-padded 3x3.
        using var model = nn.Sequential(
            ("grouped", nn.Conv2d(4, 6, (3, 5), stride: (2, 1), padding: (3, 1), dilation: (2, 1), groups: 2)),
            ("same", nn.Conv2d(6, 6, 4, padding: TorchSharp.Padding.Same)),
            ("reflect", nn.Conv2d(6, 2, 3, padding: 1, padding_mode: PaddingModes.Reflect)));
        var convolutions = ConvolutionShape.Of(model, [4, 11, 9], out _);
        Assert.Equal(new ConvolutionShape(4, 6, (11, 9), (3, 5), (2, 1), (3, 1), (2, 1), 2), convolutions[0].Shape);
        Assert.Equal((7L, 7L), convolutions[0].Shape.Output);
        Assert.Equal(new ConvolutionShape(6, 6, (8, 8), (4, 4), (1, 1), (1, 1), (1, 1), 1), convolutions[1].Shape);
        Assert.Equal((7L, 7L), convolutions[1].Shape.Output);
        Assert.Equal(new ConvolutionShape(6, 2, (9, 9), (3, 3), (1, 1), (0, 0), (1, 1), 1), convolutions[2].Shape);
        Assert.Equal((7L, 7L), convolutions[2].Shape.Output);
        // What the check runs for each shape is a convolution of that shape (libtorch's own kernels agree with float64).
        Assert.All(convolutions, c => Assert.True(OneDnnConvolutions.MeasureError(c.Shape) <= OneDnnConvolutions.Tolerance, c.Shape.ToString()));
    }

    [Fact]
    public void The_probe_leaves_modes_batch_statistics_and_gradients_as_they_were()
    {
        using var bn = new ScalarSafeBatchNorm2d(4);
        using var frozen = new ScalarSafeBatchNorm2d(4);
        using var model = nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("bn", bn), ("frozen", frozen));
        model.train();
        frozen.eval();
        var convolutions = ConvolutionShape.Of(model, [3, 6, 6], out _);
        Assert.Single(convolutions);
        Assert.True(model.training);
        Assert.True(bn.training);
        Assert.False(frozen.training);
        Assert.Equal(new float[4], bn.running_mean!.data<float>().ToArray());
        Assert.Equal(0L, bn.num_batches_tracked!.item<long>());
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Layers_the_check_does_not_cover_are_named()
    {
        using var model = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("up", nn.ConvTranspose2d(2, 2, 2)));
        var convolutions = ConvolutionShape.Of(model, [1, 5, 5], out var others);
        Assert.Equal(["conv"], convolutions.Select(c => c.Layer));
        Assert.Equal(["up"], others);
    }

    [Fact]
    public void A_sample_the_model_cannot_take_is_refused_with_its_shape()
    {
        using var model = new LeNet5Caffe(new ImageShape(1, 28, 28), 10);
        var error = Assert.Throws<ArgumentException>(() => ConvolutionShape.Of(model, [3, 28, 28], out _));
        Assert.Contains("3x28x28", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shape_is_written_as_13_numbers_and_read_back()
    {
        var shape = new ConvolutionShape(4, 6, (11, 9), (3, 5), (2, 1), (3, 1), (2, 1), 2);
        Assert.Equal("4,6,11,9,3,5,2,1,3,1,2,1,2", shape.Argument);
        Assert.Equal(shape, ConvolutionShape.Parse(shape.Argument));
        Assert.Throws<FormatException>(() => ConvolutionShape.Parse("4,6,11,9,3,5,2,1,3,1,2,1"));
        Assert.Throws<FormatException>(() => ConvolutionShape.Parse("4,6,11,9,3,5,2,1,3,1,2,1,3")); // 4 channels in 3 groups
        Assert.Throws<FormatException>(() => ConvolutionShape.Parse("4,6,2,2,3,3,1,1,0,0,1,1,1")); // a 3x3 kernel on 2x2
        Assert.Throws<FormatException>(() => ConvolutionShape.Parse("4,6,11,9,3,5,0,1,3,1,2,1,2")); // stride 0
    }

    private sealed class HalfUsed : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Conv2d used = nn.Conv2d(1, 2, 3);
        private readonly TorchSharp.Modules.Conv2d spare = nn.Conv2d(1, 2, 3);

        public HalfUsed()
            : base(nameof(HalfUsed)) => RegisterComponents();

        public override Tensor forward(Tensor input) => used.call(input);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                used.Dispose();
                spare.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    [Fact]
    public void A_convolution_the_sample_does_not_run_through_is_named_as_not_covered()
    {
        using var model = new HalfUsed();
        var convolutions = ConvolutionShape.Of(model, [1, 5, 5], out var others);
        Assert.Equal(["used"], convolutions.Select(c => c.Layer));
        Assert.Equal(["spare"], others);
    }
}
