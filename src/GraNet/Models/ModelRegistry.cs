using GraNet.Data;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>The models of the paper and of the small-scale studies, by name.</summary>
public static class ModelRegistry
{
    public static IReadOnlyList<ModelInfo> All { get; } =
    [
        new("lenet-300-100", "MLP 300-100 (266,610 parameters on MNIST)", (s, c) => new LeNet300100(s, c)),
        new("lenet5-caffe", "LeNet-5-Caffe: conv 20, conv 50, fc 500 (431,080 parameters on MNIST)", (s, c) => new LeNet5Caffe(s, c)),
        new("vgg16", "VGG-16 with batch norm, CIFAR form", (s, c) => new Vgg("vgg16", Vgg.Vgg16Layout, s, c)),
        new("vgg19", "VGG-19 with batch norm, CIFAR form (the paper's VGG-19)", (s, c) => new Vgg("vgg19", Vgg.Vgg19Layout, s, c)),
        new("resnet18", "ResNet-18, CIFAR form (3x3 stem, no max-pool)", ResNet.ResNet18),
        new("resnet34", "ResNet-34, CIFAR form", ResNet.ResNet34),
        new("resnet50", "ResNet-50, CIFAR form (the paper's ResNet-50)", ResNet.ResNet50),
        new("resnet20", "ResNet-20 of He et al. for CIFAR (16-32-64 planes)", ResNet.ResNet20),
        new("resnet32", "ResNet-32 of He et al. for CIFAR", ResNet.ResNet32),
    ];

    /// <summary>Finds a model by name (case-insensitive; <c>lenet5</c> and <c>lenet300</c> are accepted too).</summary>
    public static ModelInfo Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim().ToLowerInvariant() switch
        {
            "lenet5" or "lenet-5" or "lenet-5-caffe" or "lenet5caffe" => "lenet5-caffe",
            "lenet300" or "lenet-300" or "mlp" => "lenet-300-100",
            "vgg-16" => "vgg16",
            "vgg-19" => "vgg19",
            var other => other.Replace("resnet-", "resnet", StringComparison.Ordinal),
        };
        return All.FirstOrDefault(m => m.Name == key)
            ?? throw new ArgumentException($"Unknown model '{name}'. Known: {string.Join(", ", All.Select(m => m.Name))}.");
    }

    /// <summary>Builds a model for images of <paramref name="input"/> shape and <paramref name="classes"/> classes.</summary>
    public static nn.Module<Tensor, Tensor> Create(string name, ImageShape input, int classes) => Get(name).Create(input, classes);

    /// <summary>Number of trainable parameters (weights, biases, batch-norm scales and shifts).</summary>
    public static long CountParameters(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.parameters().Sum(p => p.numel());
    }
}
