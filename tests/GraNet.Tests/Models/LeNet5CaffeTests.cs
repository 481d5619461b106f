using GraNet.Data;
using GraNet.Models;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Models;

/// <summary>LeNet-5-Caffe as the spec has it: conv 1→20 5x5, max-pool 2, conv 20→50 5x5, max-pool 2, fc 800→500, fc 500→10, ReLU after each hidden layer.</summary>
public class LeNet5CaffeTests
{
    private static readonly ImageShape Mnist = new(1, 28, 28);

    [Fact]
    public void The_layers_have_the_shapes_of_the_spec()
    {
        using var model = new LeNet5Caffe(Mnist, 10);
        var layers = model.Stages.Select(stage => stage switch
        {
            ConvolutionStage c => $"{c.Name} {string.Join("x", c.Layer.weight!.shape)} stride {string.Join(",", c.Layer.stride)} padding {string.Join(",", c.Layer.padding!)}",
            LinearStage l => $"{l.Name} {string.Join("x", l.Layer.weight!.shape)}",
            MaxPoolStage p => $"maxpool {p.Kernel}",
            ReluStage => "relu",
            FlattenStage => "flatten",
            _ => stage.ToString(),
        });
        Assert.Equal(
        [
            "conv1 20x1x5x5 stride 1,1 padding 0,0", "relu", "maxpool 2",
            "conv2 50x20x5x5 stride 1,1 padding 0,0", "relu", "maxpool 2",
            "flatten", "fc3 500x800", "relu", "fc4 10x500",
        ], layers);
    }

    [Fact]
    public void The_forward_pass_is_the_spec_written_with_libtorch_functions()
    {
        manual_seed(5);
        using var model = new LeNet5Caffe(Mnist, 10);
        model.eval();
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        using var guard = no_grad();
        using var x = randn(3, 1, 28, 28);
        using var scope = NewDisposeScope();
        var h = nn.functional.max_pool2d(nn.functional.relu(nn.functional.conv2d(x, p["conv1.weight"], p["conv1.bias"])), 2);
        h = nn.functional.max_pool2d(nn.functional.relu(nn.functional.conv2d(h, p["conv2.weight"], p["conv2.bias"])), 2);
        h = nn.functional.relu(nn.functional.linear(h.reshape(3, 800), p["fc3.weight"], p["fc3.bias"]));
        var expected = nn.functional.linear(h, p["fc4.weight"], p["fc4.bias"]);
        var actual = model.call(x);
        Assert.Equal([3L, 10L], actual.shape);
        Assert.True((expected - actual).abs().max().item<float>() <= 1e-5f);
    }
}
