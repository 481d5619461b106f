using GraNet.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// VGG with batch normalisation in its CIFAR form: 3x3 convolutions (BN, ReLU) in five groups
/// separated by 2x2 max-pooling, then one linear classifier on the 512 features.
/// </summary>
public sealed class Vgg : nn.Module<Tensor, Tensor>
{
    /// <summary>Channels per convolution; 0 marks a max-pool.</summary>
    public static readonly int[] Vgg16Layout = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    public static readonly int[] Vgg19Layout = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0];

    private readonly Sequential features;
    private readonly Linear classifier;

    public Vgg(string name, int[] layout, ImageShape input, int classes)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int channels = input.Channels;
        int size = input.Height;
        int index = 0;
        foreach (int width in layout)
        {
            if (width == 0)
            {
                layers.Add(($"pool{index++}", nn.MaxPool2d(2, 2)));
                size /= 2;
                continue;
            }
            layers.Add(($"conv{index}", nn.Conv2d(channels, width, 3, padding: 1)));
            layers.Add(($"bn{index}", new ScalarSafeBatchNorm2d(width)));
            layers.Add(($"relu{index++}", nn.ReLU(inplace: true)));
            channels = width;
        }
        if (size < 1)
        {
            throw new ArgumentException($"{name} needs inputs of at least 32x32, got {input}.", nameof(input));
        }
        features = nn.Sequential(layers);
        classifier = nn.Linear(channels * size * size, classes);
        RegisterComponents();
    }

    /// <param name="input"><c>[N, 3, 32, 32]</c> images.</param>
    /// <returns><c>[N, classes]</c> logits.</returns>
    public override Tensor forward(Tensor input)
    {
        using var f = features.call(input);
        using var flat = f.flatten(1);
        return classifier.call(flat);
    }
}
