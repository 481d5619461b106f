using GraNet.Inference;
using GraNet.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Inference;

/// <summary>A convolution's sparse kernels against libtorch's dense <c>conv2d</c> on the same sparse filters, for geometries the LeNets do not have.</summary>
public class SparseLayerTests
{
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
        using (Scalar density = 0.4.ToScalar())
        using (var uniform = rand_like(conv.weight!))
        using (var keep = uniform.lt(density))
        {
            conv.weight!.mul_(keep);
        }
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
}
