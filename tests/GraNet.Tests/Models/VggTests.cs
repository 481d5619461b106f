using GraNet.Data;
using GraNet.Models;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Models;

public class VggTests
{
    [Fact]
    public void The_classifier_takes_every_feature_left_after_the_average_pool()
    {
        // conv 8, max-pool (16 → 8), conv 16, average pool (8 → 4): 16 x 4 x 4 = 256 features, not the 16 channels alone.
        using var model = new Vgg("tiny", [8, 0, 16], new ImageShape(3, 16, 16), 10);
        var classifier = model.named_parameters().Single(p => p.name == "classifier.weight").parameter;
        Assert.Equal([10L, 256L], classifier.shape);
        model.eval();
        using var guard = no_grad();
        using var x = randn(2, 3, 16, 16);
        using var logits = model.call(x);
        Assert.Equal([2L, 10L], logits.shape);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Its_stages_compute_what_its_registered_modules_compute(bool training)
    {
        // The forward pass runs the stage list; the modules registered under features and classifier are what
        // checkpoints hold. Bit for bit the same, in training (batch statistics) and in evaluation.
        manual_seed(4);
        using var model = new Vgg("tiny", [8, 0, 16], new ImageShape(3, 16, 16), 10);
        model.train(training);
        var children = model.named_children().ToDictionary(c => c.name, c => c.module);
        var features = (TorchSharp.Modules.Sequential)children["features"];
        var classifier = (TorchSharp.Modules.Linear)children["classifier"];
        using var guard = no_grad();
        using var x = randn(4, 3, 16, 16);
        using var f = features.call(x);
        using var flat = f.flatten(1);
        using var expected = classifier.call(flat);
        using var actual = model.call(x);
        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
    }
}
