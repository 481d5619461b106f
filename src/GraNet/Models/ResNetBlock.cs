using GraNet.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// A residual block: basic (two 3x3 convolutions) or bottleneck (1x1, 3x3, 1x1 with 4x expansion),
/// each convolution followed by batch norm. The shortcut is a 1x1 convolution with batch norm
/// (option B) when the shape changes, or, with <c>zeroPadShortcut</c>, a parameter-free
/// subsample and zero-channel-pad (option A of He et al.'s CIFAR ResNets).
/// </summary>
public sealed class ResNetBlock : nn.Module<Tensor, Tensor>
{
    private readonly Sequential body;
    private readonly Sequential? projection;
    private readonly long padChannels;
    private readonly bool subsample;

    public ResNetBlock(string name, long inChannels, long planes, long stride, bool bottleneck, bool zeroPadShortcut)
        : base(name)
    {
        long outChannels = bottleneck ? planes * 4 : planes;
        body = bottleneck
            ? nn.Sequential(
                ("conv1", nn.Conv2d(inChannels, planes, 1, bias: false)),
                ("bn1", new ScalarSafeBatchNorm2d(planes)),
                ("relu1", nn.ReLU(inplace: true)),
                ("conv2", nn.Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false)),
                ("bn2", new ScalarSafeBatchNorm2d(planes)),
                ("relu2", nn.ReLU(inplace: true)),
                ("conv3", nn.Conv2d(planes, outChannels, 1, bias: false)),
                ("bn3", new ScalarSafeBatchNorm2d(outChannels)))
            : nn.Sequential(
                ("conv1", nn.Conv2d(inChannels, planes, 3, stride: stride, padding: 1, bias: false)),
                ("bn1", new ScalarSafeBatchNorm2d(planes)),
                ("relu1", nn.ReLU(inplace: true)),
                ("conv2", nn.Conv2d(planes, planes, 3, padding: 1, bias: false)),
                ("bn2", new ScalarSafeBatchNorm2d(planes)));
        if (stride != 1 || inChannels != outChannels)
        {
            if (zeroPadShortcut)
            {
                subsample = stride != 1;
                padChannels = outChannels - inChannels;
            }
            else
            {
                projection = nn.Sequential(
                    ("conv", nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)),
                    ("bn", new ScalarSafeBatchNorm2d(outChannels)));
            }
        }
        RegisterComponents();
    }

    /// <param name="input"><c>[N, C_in, H, W]</c>.</param>
    /// <returns><c>[N, C_out, H / stride, W / stride]</c>.</returns>
    public override Tensor forward(Tensor input)
    {
        using var main = body.call(input);
        using var shortcut = Shortcut(input);
        using var sum = main.add(shortcut, HeldScalars.One);
        return nn.functional.relu(sum);
    }

    private Tensor Shortcut(Tensor input)
    {
        if (projection is not null)
        {
            return projection.call(input);
        }
        if (!subsample && padChannels == 0)
        {
            return input.alias();
        }
        using var thinned = subsample
            ? input[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)]
            : input.alias();
        long half = padChannels / 2;
        return nn.functional.pad(thinned, [0, 0, 0, 0, half, padChannels - half]);
    }
}
