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

    /// <param name="name">The block's name.</param>
    /// <param name="path">Where the model registers the block (e.g. <c>stages.stage1_0</c>): its stages are named by it, as the parameters are.</param>
    /// <param name="inChannels">Channels of the block's input.</param>
    /// <param name="planes">Channels of its convolutions (times 4 at the end of a bottleneck).</param>
    /// <param name="stride">Stride of its first 3x3 convolution (and of a projection shortcut).</param>
    /// <param name="bottleneck">Three convolutions (1x1, 3x3, 1x1) instead of two 3x3.</param>
    /// <param name="zeroPadShortcut">A parameter-free shortcut where the shape changes, instead of a projection.</param>
    public ResNetBlock(string name, string path, long inChannels, long planes, long stride, bool bottleneck, bool zeroPadShortcut)
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
        bool reshapes = stride != 1 || inChannels != outChannels;
        if (reshapes && !zeroPadShortcut)
        {
            projection = nn.Sequential(
                ("conv", nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)),
                ("bn", new ScalarSafeBatchNorm2d(outChannels)));
        }
        RegisterComponents();
        var main = body.named_children().Select(child => child.module switch
        {
            Conv2d convolution => (NetworkStage)new ConvolutionStage($"{path}.body.{child.name}", convolution),
            BatchNorm norm => new BatchNormStage($"{path}.body.{child.name}", norm),
            ReLU => new ReluStage(),
            var other => throw new InvalidOperationException($"{path}: no stage for {other.GetType().Name}."),
        }).ToList();
        IReadOnlyList<NetworkStage> shortcut = projection is not null
            ? [new ConvolutionStage($"{path}.projection.conv", (Conv2d)projection[0]), new BatchNormStage($"{path}.projection.bn", (BatchNorm)projection[1])]
            : reshapes ? [new ZeroPadShortcutStage(stride != 1, outChannels - inChannels)] : [];
        Residual = new ResidualStage(main, shortcut);
    }

    /// <summary>The block as a stage (read by sparse inference, and run by <see cref="forward"/>); its modules are the registered ones.</summary>
    public ResidualStage Residual { get; }

    /// <param name="input"><c>[N, C_in, H, W]</c>.</param>
    /// <returns><c>[N, C_out, H / stride, W / stride]</c>.</returns>
    public override Tensor forward(Tensor input) => Residual.Forward(input);
}
