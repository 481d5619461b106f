using GraNet.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// VGG with batch normalisation in the CIFAR form of the GraNet code: 3x3 convolutions without
/// bias (BN, ReLU) in five groups, the first four followed by 2x2 max-pooling, then 2x2 average
/// pooling and one linear classifier on the 512 features. Initialised as there: convolutions
/// Kaiming-normal (fan-out, ReLU), the classifier N(0, 0.01) with zero bias. The forward pass runs
/// <see cref="Stages"/>: convolution, batch-norm and linear layers are called as modules (their hooks fire); the ReLU
/// and pooling modules and the <c>features</c> container are registered for their names but not called themselves.
/// </summary>
public sealed class Vgg : nn.Module<Tensor, Tensor>, ISequentialNetwork
{
    /// <summary>Channels per convolution; 0 marks a max-pool.</summary>
    public static readonly int[] Vgg16Layout = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512];

    public static readonly int[] Vgg19Layout = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512];

    private readonly Sequential features;
    private readonly Linear classifier;

    public Vgg(string name, int[] layout, ImageShape input, int classes)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        var stages = new List<NetworkStage>();
        int channels = input.Channels;
        int size = input.Height;
        int index = 0;
        foreach (int width in layout)
        {
            if (width == 0)
            {
                layers.Add(($"pool{index++}", nn.MaxPool2d(2, 2)));
                stages.Add(new MaxPoolStage(2));
                size /= 2;
                continue;
            }
            var conv = nn.Conv2d(channels, width, 3, padding: 1, bias: false);
            using (no_grad())
            {
                nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            }
            var norm = new ScalarSafeBatchNorm2d(width);
            layers.Add(($"conv{index}", conv));
            layers.Add(($"bn{index}", norm));
            layers.Add(($"relu{index}", nn.ReLU(inplace: true)));
            stages.Add(new ConvolutionStage($"features.conv{index}", conv));
            stages.Add(new BatchNormStage($"features.bn{index}", norm));
            stages.Add(new ReluStage());
            index++;
            channels = width;
        }
        if (size < 2)
        {
            throw new ArgumentException($"{name} needs inputs of at least 32x32, got {input}.", nameof(input));
        }
        layers.Add(("avgpool", nn.AvgPool2d(2)));
        size /= 2;
        features = nn.Sequential(layers);
        classifier = nn.Linear(channels * size * size, classes);
        using (no_grad())
        {
            nn.init.normal_(classifier.weight!, 0, 0.01);
            nn.init.zeros_(classifier.bias!);
        }
        RegisterComponents();
        stages.AddRange([new AvgPoolStage(2), new FlattenStage(), new LinearStage("classifier", classifier)]);
        Stages = stages;
    }

    /// <summary>The forward pass as stages, read by sparse inference; the modules are those registered under <c>features</c> and <c>classifier</c>.</summary>
    public IReadOnlyList<NetworkStage> Stages { get; }

    /// <param name="input"><c>[N, 3, 32, 32]</c> images.</param>
    /// <returns><c>[N, classes]</c> logits.</returns>
    public override Tensor forward(Tensor input) => SequentialForward.Run(Stages, input);
}
