using GraNet.Inference;
using GraNet.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Inference;

/// <summary>A convolution's sparse kernels against libtorch's dense <c>conv2d</c> on the same sparse filters, for geometries the LeNets do not have.</summary>
public class SparseLayerTests
{
    /// <summary>Zeroes each filter tap with probability 1 − <paramref name="density"/>.</summary>
    private static void KeepAtRandom(TorchSharp.Modules.Conv2d conv, double density)
    {
        using Scalar threshold = density.ToScalar();
        using var uniform = rand_like(conv.weight!);
        using var keep = uniform.lt(threshold);
        conv.weight!.mul_(keep);
    }

    [Theory]
    [InlineData(1, 2, 1, 1, 1, 1)] // padding only, different per axis: the direct kernel pads height and width each by its own amount
    [InlineData(0, 1, 1, 1, 1, 1)] // padding on one axis only
    [InlineData(0, 0, 1, 1, 2, 1)] // dilation: not the direct kernel, which has none
    [InlineData(1, 0, 1, 1, 1, 2)]
    [InlineData(1, 0, 2, 1, 1, 1)] // a stride on one axis only: the im2col output size uses each axis's stride
    [InlineData(2, 1, 1, 3, 1, 1)]
    [InlineData(1, 1, 2, 2, 2, 2)]
    public void Every_kernel_matches_libtorch_conv2d(int padHeight, int padWidth, int strideHeight, int strideWidth, int dilationHeight, int dilationWidth)
    {
        manual_seed(11);
        using var conv = nn.Conv2d(3, 4, (3L, 2L), stride: (strideHeight, strideWidth), padding: (padHeight, padWidth), dilation: (dilationHeight, dilationWidth));
        using var guard = no_grad();
        KeepAtRandom(conv, 0.4);
        using var layer = new SparseLayer(new ConvolutionStage("conv", conv));
        foreach (int batch in new[] { 1, 2 })
        {
            using var images = randn(batch, 3, 9, 13);
            using var expected = nn.functional.conv2d(images, conv.weight!, conv.bias, [strideHeight, strideWidth], [padHeight, padWidth], [dilationHeight, dilationWidth]);
            foreach (var kernel in new[] { LayerKernel.Csr, LayerKernel.LibTorchCsr, LayerKernel.Dense })
            {
                using var actual = layer.Forward(images, kernel, threads: 2);
                Assert.Equal(expected.shape, actual.shape);
                Assert.True((expected - actual).abs().max().item<float>() <= 1e-5f, $"{kernel}, batch {batch}");
            }
        }
    }

    [Theory]
    [InlineData(4, 4)] // VGG's 4x4 maps: planes of fewer than four vectors' positions go through im2col and our product
    [InlineData(2, 2)]
    [InlineData(1, 1)] // one position per image: im2col's reshape is a strided view there, made contiguous
    [InlineData(5, 9)] // 4 x 11 + 9 = 53 positions of the padded plane: the direct kernel, over the plane as one flat range
    [InlineData(7, 7)] // ResNet's 7x7 maps on 28x28 images: the same
    [InlineData(3, 16)] // rows of whole vectors: the direct kernel row by row
    public void Our_kernel_matches_libtorch_on_small_and_odd_sized_maps(int height, int width)
    {
        manual_seed(13);
        using var conv = nn.Conv2d(5, 6, 3, padding: 1);
        using var guard = no_grad();
        KeepAtRandom(conv, 0.3);
        using var layer = new SparseLayer(new ConvolutionStage("conv", conv));
        using var images = randn(3, 5, height, width);
        using var expected = conv.call(images);
        using var actual = layer.Forward(images, LayerKernel.Csr, threads: 2);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True((expected - actual).abs().max().item<float>() <= 1e-5f);
    }

    [Theory]
    [InlineData(LayerKernel.Csr, 1)] // 4x4 maps: our kernel through im2col
    [InlineData(LayerKernel.LibTorchCsr, 1)]
    [InlineData(LayerKernel.LibTorchCsr, 2)] // a stride: im2col whatever the map
    public void A_batch_larger_than_an_im2col_block_is_convolved_block_by_block_as_a_whole(LayerKernel kernel, int stride)
    {
        manual_seed(15);
        using var conv = nn.Conv2d(3, 5, 3, stride: stride, padding: 1);
        using var guard = no_grad();
        KeepAtRandom(conv, 0.4);
        using var layer = new SparseLayer(new ConvolutionStage("conv", conv));
        using var images = randn((2 * SparseLayer.Im2colImages) + 3, 3, 4, 4);
        using var expected = conv.call(images);
        using var actual = layer.Forward(images, kernel, threads: 2);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True((expected - actual).abs().max().item<float>() <= 1e-5f);
    }

    [Theory]
    [InlineData(LayerKernel.Csr)]
    [InlineData(LayerKernel.LibTorchCsr)]
    [InlineData(LayerKernel.Dense)]
    public void A_batch_norm_after_a_convolution_is_folded_into_its_filter_and_bias(LayerKernel kernel)
    {
        // conv 1→1 1x1, weight 2, no bias; BN with mean 1, variance 3, eps 1, γ 4, β 0.5: scale γ/√(3 + 1) = 2, so the
        // filter becomes 4 and the bias (0 − 1)·2 + 0.5 = −1.5. On x = 3: 4·3 − 1.5 = 10.5 = ((2·3 − 1)/2)·4 + 0.5.
        using var conv = nn.Conv2d(1, 1, 1, bias: false);
        using var norm = new ScalarSafeBatchNorm2d(1, eps: 1.0);
        using (no_grad())
        {
            conv.weight!.copy_(tensor(new[] { 2f }).view(1, 1, 1, 1));
            norm.running_mean!.copy_(tensor(new[] { 1f }));
            norm.running_var!.copy_(tensor(new[] { 3f }));
            norm.weight!.copy_(tensor(new[] { 4f }));
            norm.bias!.copy_(tensor(new[] { 0.5f }));
        }
        norm.eval();
        using var layer = new SparseLayer(new ConvolutionStage("conv", conv), new BatchNormStage("bn", norm));
        Assert.Equal([4f], layer.Csr.Values);
        using var images = tensor(new[] { 3f, 3f, 3f, 3f }).view(1, 1, 2, 2);
        using var output = layer.Forward(images, kernel, threads: 1);
        Assert.All(output.data<float>().ToArray(), value => Assert.Equal(10.5f, value, 5));
    }

    [Fact]
    public void A_batch_norm_in_training_mode_is_not_folded_and_says_to_call_eval()
    {
        using var conv = nn.Conv2d(1, 2, 3);
        using var norm = new ScalarSafeBatchNorm2d(2);
        var error = Assert.Throws<InvalidOperationException>(() => new SparseLayer(new ConvolutionStage("conv", conv), new BatchNormStage("bn", norm)));
        Assert.Equal("bn (after conv) is in training mode, where batch normalisation uses each batch's statistics: call eval() on the model before making its sparse form.", error.Message);
    }
}
