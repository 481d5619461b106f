using GraNet.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// ResNets in their CIFAR form: a 3x3 stem without max-pooling, stages of residual blocks,
/// global average pooling and one linear classifier. The forward pass runs <see cref="Stages"/>: convolution,
/// batch-norm and linear layers are called as modules (their hooks fire); the ReLUs, the pooling and the containers
/// (<c>stem</c>, <c>stages</c>, each block and its <c>body</c>/<c>projection</c>) are registered for their names and
/// parameters but not called themselves. ResNet-18/34/50 use four stages
/// (64…512 planes, projection shortcuts, a classifier without bias); ResNet-20/32 use He et al.'s
/// three stages of 16, 32 and 64 planes with parameter-free shortcuts, Kaiming-normal weights.
/// </summary>
public sealed class ResNet : nn.Module<Tensor, Tensor>, ISequentialNetwork
{
    private readonly Sequential stem;
    private readonly Sequential stages;
    private readonly Linear fc;

    private ResNet(string name, ImageShape input, int classes, long width, long[] planes, int[] blocks, bool bottleneck, bool zeroPadShortcut)
        : base(name)
    {
        stem = nn.Sequential(
            ("conv", nn.Conv2d(input.Channels, width, 3, padding: 1, bias: false)),
            ("bn", new ScalarSafeBatchNorm2d(width)),
            ("relu", nn.ReLU(inplace: true)));
        var blockList = new List<(string, nn.Module<Tensor, Tensor>)>();
        long channels = width;
        for (int s = 0; s < planes.Length; s++)
        {
            for (int b = 0; b < blocks[s]; b++)
            {
                long stride = s > 0 && b == 0 ? 2 : 1;
                string blockName = $"stage{s + 1}_{b}";
                blockList.Add((blockName, new ResNetBlock(blockName, $"stages.{blockName}", channels, planes[s], stride, bottleneck, zeroPadShortcut)));
                channels = bottleneck ? planes[s] * 4 : planes[s];
            }
        }
        stages = nn.Sequential(blockList);
        // As the GraNet code: ResNet-18/34/50 (its resnet_cifar100) have a classifier without bias and PyTorch's
        // default initialisation; ResNet-20/32 (its cifar_resnet) a classifier with bias and Kaiming-normal weights.
        fc = nn.Linear(channels, classes, hasBias: zeroPadShortcut);
        RegisterComponents();
        Stages =
        [
            new ConvolutionStage("stem.conv", (Conv2d)stem[0]), new BatchNormStage("stem.bn", (BatchNorm)stem[1]), new ReluStage(),
            .. blockList.Select(block => ((ResNetBlock)block.Item2).Residual),
            new GlobalAvgPoolStage(), new FlattenStage(), new LinearStage("fc", fc),
        ];
        if (zeroPadShortcut)
        {
            using var guard = no_grad();
            foreach (var module in modules())
            {
                if (module is Conv2d { weight: { } convWeight })
                {
                    nn.init.kaiming_normal_(convWeight);
                }
                else if (module is Linear { weight: { } linearWeight })
                {
                    nn.init.kaiming_normal_(linearWeight);
                }
            }
        }
    }

    public static ResNet ResNet18(ImageShape input, int classes) => new("resnet18", input, classes, 64, [64, 128, 256, 512], [2, 2, 2, 2], false, false);

    public static ResNet ResNet34(ImageShape input, int classes) => new("resnet34", input, classes, 64, [64, 128, 256, 512], [3, 4, 6, 3], false, false);

    public static ResNet ResNet50(ImageShape input, int classes) => new("resnet50", input, classes, 64, [64, 128, 256, 512], [3, 4, 6, 3], true, false);

    public static ResNet ResNet20(ImageShape input, int classes) => new("resnet20", input, classes, 16, [16, 32, 64], [3, 3, 3], false, true);

    public static ResNet ResNet32(ImageShape input, int classes) => new("resnet32", input, classes, 16, [16, 32, 64], [5, 5, 5], false, true);

    /// <param name="input"><c>[N, C, H, W]</c> images.</param>
    /// <returns><c>[N, classes]</c> logits.</returns>
    public override Tensor forward(Tensor input) => SequentialForward.Run(Stages, input);

    /// <summary>The forward pass as stages (each residual block one <see cref="ResidualStage"/>), read by sparse inference; the modules are the registered ones.</summary>
    public IReadOnlyList<NetworkStage> Stages { get; }
}
