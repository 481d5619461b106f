using GraNet.Cli.Commands;
using GraNet.Data;
using GraNet.Models;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>
/// The batch infer serves at without --batch-size: 64 for a model with convolutions on the sparse engine (calibration at
/// 1000 took VGG-16 over 5 minutes, LeNet-5-Caffe 7.2 s, and LeNet-5-Caffe served faster at 64), 1000 for an MLP.
/// </summary>
public class InferBatchTests
{
    [Theory]
    [InlineData("lenet5-caffe", true, 64)]
    [InlineData("lenet5-caffe", false, 1000)]
    [InlineData("lenet-300-100", true, 1000)]
    [InlineData("resnet20", true, 64)]
    [InlineData("vgg16", true, 64)]
    [InlineData("resnet20", false, 1000)] // dense: no calibration
    public void The_default_batch_depends_on_the_model_and_engine(string name, bool sparse, int expected)
    {
        var shape = name.StartsWith("lenet", StringComparison.Ordinal) ? new ImageShape(1, 28, 28) : new ImageShape(3, 32, 32);
        using var model = ModelRegistry.Create(name, shape, 10);
        Assert.Equal(expected, EvaluateCommand.DefaultBatch(model, sparse));
    }
}
