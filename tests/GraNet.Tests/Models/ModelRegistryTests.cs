using GraNet.Data;
using GraNet.Models;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Models;

public class ModelRegistryTests
{
    private static readonly ImageShape Mnist = new(1, 28, 28);
    private static readonly ImageShape Cifar = new(3, 32, 32);

    [Theory]
    [InlineData("lenet-300-100", 1, 10, 266_610)]
    [InlineData("lenet5-caffe", 1, 10, 431_080)]
    [InlineData("vgg16", 3, 10, 14_724_042)]
    [InlineData("vgg19", 3, 10, 20_035_018)]
    [InlineData("vgg19", 3, 100, 20_081_188)]
    [InlineData("resnet18", 3, 10, 11_173_952)]
    [InlineData("resnet34", 3, 10, 21_282_112)]
    [InlineData("resnet50", 3, 10, 23_520_832)]
    [InlineData("resnet50", 3, 100, 23_705_152)]
    [InlineData("resnet20", 3, 10, 269_722)]
    [InlineData("resnet32", 3, 10, 464_154)]
    public void Parameter_count_and_output_shape(string name, int channels, int classes, long parameters)
    {
        var shape = channels == 1 ? Mnist : Cifar;
        using var model = ModelRegistry.Create(name, shape, classes);
        Assert.Equal(parameters, ModelRegistry.CountParameters(model));
        model.eval();
        using var guard = no_grad();
        using var input = randn(2, shape.Channels, shape.Height, shape.Width);
        using var output = model.call(input);
        Assert.Equal([2L, classes], output.shape);
    }

    [Fact]
    public void Vgg19_is_the_granet_codes_four_max_pools_an_average_pool_and_its_initialisation()
    {
        manual_seed(1);
        using var model = ModelRegistry.Create("vgg19", Cifar, 10);
        var modules = model.named_modules().Select(m => m.module).ToList();
        Assert.Equal(4, modules.Count(m => m is TorchSharp.Modules.MaxPool2d));
        Assert.Single(modules.OfType<TorchSharp.Modules.AvgPool2d>());
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.DoesNotContain(parameters.Keys, name => name.Contains("conv", StringComparison.Ordinal) && name.EndsWith(".bias", StringComparison.Ordinal));
        // Kaiming normal, fan-out, ReLU gain: std sqrt(2 / (512 * 9)) = 0.02083 for a 512 -> 512 convolution (2.4 M values).
        var last = parameters.Where(p => p.Key.Contains("conv", StringComparison.Ordinal)).Last().Value;
        Assert.Equal(0.02083, last.std().item<float>(), 3);
        Assert.Equal(0.01, parameters["classifier.weight"].std().item<float>(), 3);
        Assert.Equal(0f, parameters["classifier.bias"].abs().sum().item<float>());
    }

    [Fact]
    public void Every_registered_model_is_covered_by_the_size_test()
    {
        var covered = typeof(ModelRegistryTests).GetMethod(nameof(Parameter_count_and_output_shape))!
            .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>()
            .Select(a => (string)a.GetData(null!).First()[0]).ToHashSet();
        Assert.All(ModelRegistry.All, m => Assert.Contains(m.Name, covered));
    }

    [Theory]
    [InlineData("LeNet5", "lenet5-caffe")]
    [InlineData("resnet-50", "resnet50")]
    [InlineData("VGG-19", "vgg19")]
    public void Aliases_resolve(string alias, string name) => Assert.Equal(name, ModelRegistry.Get(alias).Name);

    [Fact]
    public void Unknown_model_lists_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Get("alexnet"));
        Assert.Contains("lenet5-caffe", e.Message, StringComparison.Ordinal);
    }
}
