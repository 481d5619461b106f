using GraNet.Models;
using GraNet.Training.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Reliability;

/// <summary>Our optimizers and batch norm compute exactly what TorchSharp's do (same operations, bit for bit).</summary>
public class ScalarSafeModuleTests
{
    private static Sequential Mlp()
    {
        manual_seed(5);
        return nn.Sequential(("fc1", nn.Linear(6, 8)), ("relu", nn.ReLU()), ("fc2", nn.Linear(8, 3)));
    }

    private static float[] TrainAndFlatten(Func<IEnumerable<Parameter>, OptimizerHelper> create)
    {
        using var model = Mlp();
        using var optimizer = create(model.parameters());
        var generator = new Generator(4);
        for (int step = 0; step < 12; step++)
        {
            using var scope = NewDisposeScope();
            var x = randn([5, 6], generator: generator);
            var y = randint(0, 3, [5], generator: generator);
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }
        using var flat = cat(model.parameters().Select(p => p.detach().flatten()).ToList(), 0);
        return flat.data<float>().ToArray();
    }

#pragma warning disable GRANET002 // the reference implementations under comparison
    [Theory]
    [InlineData(0.0, 0.0, 0.0, false)]
    [InlineData(0.9, 0.0, 5e-4, true)]
    [InlineData(0.9, 0.1, 1e-3, false)]
    public void Sgd_gives_the_same_weights_as_TorchSharps_SGD(double momentum, double dampening, double weightDecay, bool nesterov)
    {
        var expected = TrainAndFlatten(p => optim.SGD(p, 0.05, momentum, dampening, weightDecay, nesterov));
        var actual = TrainAndFlatten(p => new ScalarSafeSgd(p, 0.05, momentum, dampening, weightDecay, nesterov));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(5e-4, true)]
    public void Adam_gives_the_same_weights_as_TorchSharps_Adam(double weightDecay, bool amsgrad)
    {
        var expected = TrainAndFlatten(p => optim.Adam(p, 0.01, weight_decay: weightDecay, amsgrad: amsgrad));
        var actual = TrainAndFlatten(p => new ScalarSafeAdam(p, 0.01, weightDecay: weightDecay, amsgrad: amsgrad));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Batch_norm_matches_TorchSharps_in_training_and_evaluation_with_the_same_state_names(bool withMomentum)
    {
        using var reference = nn.BatchNorm2d(3);
        using var ours = new ScalarSafeBatchNorm2d(3);
        if (!withMomentum)
        {
            reference.momentum = null;   // cumulative moving average of the batch statistics
            ours.momentum = null;
        }
        Assert.Equal(reference.state_dict().Keys.Order(), ours.state_dict().Keys.Order());
        var generator = new Generator(8);
        for (int step = 0; step < 3; step++)
        {
            using var x = randn([4, 3, 5, 5], generator: generator);
            using var expected = reference.call(x);
            using var actual = ours.call(x);
            Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
        }
        Assert.Equal(3L, ours.num_batches_tracked!.item<long>());
        Assert.Equal(reference.running_mean!.data<float>().ToArray(), ours.running_mean!.data<float>().ToArray());
        Assert.Equal(reference.running_var!.data<float>().ToArray(), ours.running_var!.data<float>().ToArray());
        reference.eval();
        ours.eval();
        using var probe = randn([2, 3, 5, 5], generator: generator);
        using var expectedEval = reference.call(probe);
        using var actualEval = ours.call(probe);
        Assert.Equal(expectedEval.data<float>().ToArray(), actualEval.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => ours.call(randn(3, 5)));
    }
    [Fact]
    public void Batch_norm_without_running_statistics_normalises_by_the_batch_in_evaluation_as_TorchSharps()
    {
        using var reference = nn.BatchNorm2d(3);
        using var ours = new ScalarSafeBatchNorm2d(3);
        foreach (var layer in new BatchNorm[] { reference, ours })
        {
            layer.eval();
            layer.running_mean = null;
            layer.running_var = null;
        }
        using var x = randn([4, 3, 5, 5], generator: new Generator(2));
        using var expected = reference.call(x);
        using var actual = ours.call(x);
        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
    }
#pragma warning restore GRANET002
}
