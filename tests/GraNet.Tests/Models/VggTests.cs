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
}
