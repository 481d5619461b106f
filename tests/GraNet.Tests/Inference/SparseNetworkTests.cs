using GraNet.Data;
using GraNet.Inference;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Inference;

public class SparseNetworkTests
{
    private static readonly ImageShape Mnist = new(1, 28, 28);

    private static nn.Module<Tensor, Tensor> Pruned(string model, double density)
    {
        manual_seed(6);
        var module = ModelRegistry.Create(model, Mnist, 10);
        using (var masks = MaskSet.ForModel(module, null))
        {
            new LayerwiseMagnitudePruner(classifierRule: false).Prune(masks, density);
            masks.Apply();
        }
        module.eval();
        return module;
    }

    [Theory]
    [InlineData("lenet-300-100", LayerKernel.Dense, 1)]
    [InlineData("lenet-300-100", LayerKernel.Csr, 1)]
    [InlineData("lenet-300-100", LayerKernel.Csr, 5)]
    [InlineData("lenet-300-100", LayerKernel.LibTorchCsr, 5)]
    [InlineData("lenet-300-100", LayerKernel.DenseBatchMajor, 1)]
    [InlineData("lenet-300-100", LayerKernel.DenseBatchMajor, 5)]
    [InlineData("lenet5-caffe", LayerKernel.Dense, 3)]
    [InlineData("lenet5-caffe", LayerKernel.Csr, 1)]
    [InlineData("lenet5-caffe", LayerKernel.Csr, 3)]
    [InlineData("lenet5-caffe", LayerKernel.LibTorchCsr, 3)]
    [InlineData("lenet5-caffe", LayerKernel.DenseBatchMajor, 3)]
    public void Every_kernel_gives_the_logits_of_the_masked_model(string model, LayerKernel kernel, int batch)
    {
        using var module = Pruned(model, 0.1);
        using var engine = new SparseNetwork((ISequentialNetwork)module, Mnist, threads: 2);
        AssertServesLikeModel(engine, kernel, module.call, [batch, 1, 28, 28], 1e-5f);
    }

    /// <summary>
    /// With every layer on <paramref name="kernel"/>, the engine's output for a random batch of shape <paramref name="input"/>
    /// has the model's shape and is within <paramref name="tolerance"/> of the model's logits (times the largest |logit|, when
    /// above 1, with <paramref name="relative"/>).
    /// </summary>
    private static void AssertServesLikeModel(SparseNetwork engine, LayerKernel kernel, Func<Tensor, Tensor> model, long[] input, float tolerance, bool relative = false)
    {
        engine.UseForAll(kernel);
        using var guard = no_grad();
        using var x = randn(input);
        using var expected = model(x);
        using var actual = engine.call(x);
        Assert.Equal(expected.shape, actual.shape);
        float scale = relative ? Math.Max(1, expected.abs().max().item<float>()) : 1;
        float difference = (expected - actual).abs().max().item<float>();
        Assert.True(difference <= tolerance * scale, $"{kernel}: the logits differ by {difference}, more than {tolerance * scale}");
    }

    /// <summary>Conv 1→2 (3x3) on 12x12, ReLU, 3x3 max-pool, flatten (18), fc 18→4: a pool our 2x2 kernel must not take over.</summary>
    private sealed class PoolThree : ISequentialNetwork, IDisposable
    {
        private readonly TorchSharp.Modules.Conv2d conv = nn.Conv2d(1, 2, 3);
        private readonly TorchSharp.Modules.Linear fc = nn.Linear(18, 4);

        public PoolThree() => Stages = [new ConvolutionStage("conv", conv), new ReluStage(), new MaxPoolStage(3), new FlattenStage(), new LinearStage("fc", fc)];

        public IReadOnlyList<NetworkStage> Stages { get; }

        public void Dispose()
        {
            conv.Dispose();
            fc.Dispose();
        }
    }

    [Theory]
    [InlineData(LayerKernel.Csr)]
    [InlineData(LayerKernel.LibTorchCsr)]
    public void A_max_pool_other_than_2x2_runs_as_libtorch_pools_it(LayerKernel kernel)
    {
        manual_seed(8);
        using var network = new PoolThree();
        using var engine = new SparseNetwork(network, new ImageShape(1, 12, 12));
        engine.UseForAll(kernel);
        using var guard = no_grad();
        using var x = randn(2, 1, 12, 12);
        using var expected = SequentialForward.Run(network.Stages, x);
        using var actual = engine.call(x);
        Assert.Equal([2L, 4L], actual.shape);
        Assert.True((expected - actual).abs().max().item<float>() <= 1e-5f);
    }

    [Fact]
    public void Each_new_batch_size_is_calibrated_once_and_reported()
    {
        using var module = Pruned("lenet5-caffe", 0.05);
        using var engine = new SparseNetwork((ISequentialNetwork)module, Mnist);
        var reports = new List<IReadOnlyList<LayerCalibration>>();
        engine.Calibrated += (_, report) => reports.Add(report);
        using var guard = no_grad();
        using var two = randn(2, 1, 28, 28);
        using var five = randn(5, 1, 28, 28);
        engine.call(two).Dispose();
        engine.call(two).Dispose();
        engine.call(five).Dispose();
        Assert.Equal(2, reports.Count);
        Assert.Equal(["conv1", "conv2", "fc3", "fc4"], reports[0].Select(c => c.Layer));
        Assert.All(reports[0], c => Assert.Equal(2, c.Batch));
        Assert.All(reports[1], c => Assert.Equal(5, c.Batch));
        Assert.Equal(8, engine.Calibrations.Count);
        Assert.Equal("50x20x5x5", reports[0][1].Shape);
        Assert.Equal(0.05, reports[0][1].Density, 2);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.02)] // where a sparse kernel wins, which of the two is chosen matters
    public void A_sparse_kernel_is_chosen_only_when_it_beats_dense_by_the_margin(double density)
    {
        using var module = Pruned("lenet-300-100", density);
        using var engine = new SparseNetwork((ISequentialNetwork)module, Mnist);
        // Either dense layout (libtorch's W·X, or its batch-major X·Wᵀ when that was faster) counts as dense: the
        // reported dense time is then the faster of the two, and no sparse kernel beat it by the margin.
        foreach (var c in engine.Calibrate(16))
        {
            if (c.Choice.IsDense())
            {
                Assert.False(Math.Min(c.CsrMilliseconds, c.LibTorchCsrMilliseconds) < SparseNetwork.Margin * c.DenseMilliseconds);
                Assert.Equal(c.DenseMilliseconds, c.ChosenMilliseconds);
            }
            else
            {
                Assert.True(c.ChosenMilliseconds < SparseNetwork.Margin * c.DenseMilliseconds);
                Assert.True(c.ChosenMilliseconds <= Math.Min(c.CsrMilliseconds, c.LibTorchCsrMilliseconds));
            }
        }
    }

    [Fact]
    public void The_whole_sparse_plan_is_kept_only_when_it_beats_the_dense_pass_by_the_margin()
    {
        // At 2% density fc1 (784 x 300) runs several times faster sparse, so some layer chooses a sparse kernel
        // and the whole network is compared; the kept plan must follow that comparison, whichever way it went.
        using var module = Pruned("lenet-300-100", 0.02);
        using var engine = new SparseNetwork((ISequentialNetwork)module, Mnist);
        engine.Calibrate(1, secondsPerKernel: 0.005);
        engine.Calibrate(32, secondsPerKernel: 0.005);
        Assert.NotEmpty(engine.ModelCalibrations);
        foreach (var m in engine.ModelCalibrations)
        {
            Assert.Equal(m.SparseMilliseconds < SparseNetwork.Margin * m.DenseMilliseconds, m.UsesPlan);
            Assert.Equal(m.UsesPlan, engine.UsesPlan(m.Batch));
            // Sparse: the plan is used and holds a sparse kernel.
            Assert.Equal(m.UsesPlan && engine.Calibrations.Any(c => c.Batch == m.Batch && !c.Choice.IsDense()), engine.RunsSparse(m.Batch));
        }
    }

    [Fact]
    public void A_plan_of_dense_kernels_alone_is_still_weighed_against_the_plain_dense_pass()
    {
        // Before: the whole model was compared only when some layer chose a sparse kernel, so a dense LeNet-5-Caffe ran
        // libtorch's pass even where the engine's own pooling made it about twice as fast.
        manual_seed(2);
        using var module = ModelRegistry.Create("lenet5-caffe", Mnist, 10);
        module.eval();
        using var engine = new SparseNetwork((ISequentialNetwork)module, Mnist);
        engine.Calibrate(8, secondsPerKernel: 0.002);
        Assert.All(engine.Calibrations, c => Assert.True(c.Density > 0.99));
        var whole = Assert.Single(engine.ModelCalibrations);
        Assert.Equal(8, whole.Batch);
        Assert.Equal(whole.UsesPlan, engine.UsesPlan(8));
        Assert.Equal(whole.UsesPlan && engine.Calibrations.Any(c => !c.Choice.IsDense()), engine.RunsSparse(8));
        using var x = randn(8, 1, 28, 28);
        using var expected = module.call(x);
        using var served = engine.call(x);
        Assert.True((expected - served).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void The_LeNets_and_VGG_list_their_layers_as_stages()
    {
        using var lenet = ModelRegistry.Create("lenet5-caffe", Mnist, 10);
        var stages = ((ISequentialNetwork)lenet).Stages;
        Assert.Equal(["conv1", "conv2", "fc3", "fc4"], stages.OfType<ConvolutionStage>().Select(s => s.Name).Concat(stages.OfType<LinearStage>().Select(s => s.Name)));
        using var vgg = ModelRegistry.Create("vgg19", new ImageShape(3, 32, 32), 10);
        var vggStages = ((ISequentialNetwork)vgg).Stages;
        // Each stage names the parameters of its layer, so that the engine's report and the masks agree.
        var parameters = vgg.named_parameters().Select(p => p.name).ToHashSet();
        Assert.All(vggStages.OfType<ConvolutionStage>(), s => Assert.Contains(s.Name + ".weight", parameters));
        Assert.All(vggStages.OfType<BatchNormStage>(), s => Assert.Contains(s.Name + ".weight", parameters));
        Assert.Equal(16, vggStages.OfType<ConvolutionStage>().Count());
        Assert.Equal("classifier", Assert.Single(vggStages.OfType<LinearStage>()).Name);
    }

    /// <summary>
    /// Running statistics and affine parameters far from their defaults (mean 0, variance 1, γ 1, β 0, which fold to
    /// nothing): means and β normal times <paramref name="scale"/>, variances in [0.5, 1.5), γ normal (or in [0.5, 1.5) when
    /// scaled, to keep a deep ResNet's activations in range).
    /// </summary>
    private static void RandomiseBatchNorms(nn.Module model, double scale = 1)
    {
        using var guard = no_grad();
        using var half = 0.5.ToScalar();
        using var factor = scale.ToScalar();
        foreach (var norm in model.modules().OfType<TorchSharp.Modules.BatchNorm>())
        {
            long channels = norm.running_mean!.shape[0];
            norm.running_mean.copy_(randn(channels).mul(factor));
            norm.running_var!.copy_(rand(channels).add(half, HeldScalars.One));
            norm.weight!.copy_(scale == 1 ? randn(channels) : rand(channels).add(half, HeldScalars.One));
            norm.bias!.copy_(randn(channels).mul(factor));
        }
    }

    /// <summary>A small VGG (conv 8, pool, conv 16, 16x16 input) pruned to 0.3, with batch-norm statistics and affine parameters far from their defaults.</summary>
    private static Vgg TinyVgg()
    {
        manual_seed(12);
        var vgg = new Vgg("tiny", [8, 0, 16], new ImageShape(3, 16, 16), 10);
        using (var masks = MaskSet.ForModel(vgg, null))
        {
            new LayerwiseMagnitudePruner(classifierRule: false).Prune(masks, 0.3);
            masks.Apply();
        }
        RandomiseBatchNorms(vgg);
        return vgg;
    }

    [Theory]
    [InlineData(LayerKernel.Dense, 3)]
    [InlineData(LayerKernel.Csr, 1)]
    [InlineData(LayerKernel.Csr, 3)]
    [InlineData(LayerKernel.LibTorchCsr, 3)]
    [InlineData(LayerKernel.DenseBatchMajor, 2)]
    public void VGG_runs_with_its_batch_norms_folded_into_the_convolutions(LayerKernel kernel, int batch)
    {
        using var vgg = TinyVgg();
        vgg.eval();
        using var engine = new SparseNetwork(vgg, new ImageShape(3, 16, 16), threads: 2);
        Assert.Equal(["features.bn0", "features.bn2"], engine.Layers.Select(l => l.Norm?.Name).OfType<string>());
        AssertServesLikeModel(engine, kernel, vgg.call, [batch, 3, 16, 16], 1e-4f);
    }

    [Fact]
    public void A_calibrated_VGG_serves_the_model_s_logits_and_leaves_its_running_statistics_alone()
    {
        using var vgg = TinyVgg();
        vgg.eval();
        var before = vgg.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        using var engine = new SparseNetwork(vgg, new ImageShape(3, 16, 16));
        engine.Calibrate(4, secondsPerKernel: 0.002);
        using var guard = no_grad();
        using var x = randn(4, 3, 16, 16);
        using var expected = vgg.call(x);
        using var served = engine.call(x);
        Assert.True((expected - served).abs().max().item<float>() <= 1e-4f);
        Assert.All(vgg.state_dict(), p => Assert.True(p.Value.to_type(ScalarType.Float64).sub(before[p.Key].to_type(ScalarType.Float64)).abs().max().item<double>() == 0, p.Key));
    }

    [Fact]
    public void A_model_in_training_mode_with_batch_norm_is_refused_with_the_fix()
    {
        using var vgg = TinyVgg();
        vgg.train();
        var error = Assert.Throws<InvalidOperationException>(() => new SparseNetwork(vgg, new ImageShape(3, 16, 16)));
        Assert.Equal("features.bn0 is in training mode, where batch normalisation uses each batch's statistics: call eval() on the model before making its sparse form or serving it.", error.Message);

        // Put back into training after the engine was made: refused when served, before calibration moves the statistics.
        vgg.eval();
        using var engine = new SparseNetwork(vgg, new ImageShape(3, 16, 16));
        vgg.train();
        using var x = randn(2, 3, 16, 16);
        var later = Assert.Throws<InvalidOperationException>(() => engine.call(x));
        Assert.StartsWith("features.bn0 is in training mode", later.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_norm_without_running_statistics_is_refused_by_name()
    {
        using var conv = nn.Conv2d(1, 2, 3);
        using var norm = new ScalarSafeBatchNorm2d(2);
        norm.eval();
        using (no_grad())
        {
            norm.running_mean = null;
            norm.running_var = null;
        }
        var network = new PlainStages([new ConvolutionStage("conv", conv), new BatchNormStage("bn", norm), new ReluStage()]);
        var error = Assert.Throws<NotSupportedException>(() => new SparseNetwork(network, new ImageShape(1, 5, 5)));
        Assert.Equal("bn (after conv) keeps no running statistics, so it normalises each batch by its own; sparse inference folds running statistics into the convolution: run this model dense.", error.Message);
    }

    private sealed record PlainStages(IReadOnlyList<NetworkStage> Stages) : ISequentialNetwork;

    /// <summary>A ResNet pruned to 0.3 at random, with batch-norm statistics and affine parameters far from their defaults, in evaluation mode.</summary>
    private static nn.Module<Tensor, Tensor> PrunedResNet(string name, ImageShape shape)
    {
        manual_seed(14);
        var model = ModelRegistry.Create(name, shape, 10);
        using (var masks = MaskSet.ForModel(model, null))
        {
            new LayerwiseMagnitudePruner(classifierRule: false).Prune(masks, 0.3);
            masks.Apply();
        }
        RandomiseBatchNorms(model, scale: 0.5);
        model.eval();
        return model;
    }

    [Theory]
    [InlineData("resnet20", LayerKernel.Csr, 2)] // zero-padding shortcuts
    [InlineData("resnet20", LayerKernel.LibTorchCsr, 1)]
    [InlineData("resnet20", LayerKernel.Dense, 2)]
    [InlineData("resnet50", LayerKernel.Csr, 1)] // bottlenecks, projection shortcuts with stride 2
    public void A_resnet_runs_its_residual_blocks_on_the_engine_with_the_models_logits(string name, LayerKernel kernel, int batch)
    {
        var shape = new ImageShape(3, 16, 16);
        using var model = PrunedResNet(name, shape);
        using var engine = new SparseNetwork((ISequentialNetwork)model, shape, threads: 2);
        // Every convolution has its batch norm folded in; the classifier has none.
        Assert.All(engine.Layers.Where(l => l.IsConvolution), l => Assert.NotNull(l.Norm));
        AssertServesLikeModel(engine, kernel, model.call, [batch, 3, 16, 16], 1e-4f, relative: true);
    }

    [Fact]
    public void A_calibrated_resnet_times_every_layer_of_its_blocks_in_order()
    {
        var shape = new ImageShape(3, 16, 16);
        using var model = PrunedResNet("resnet20", shape);
        using var engine = new SparseNetwork((ISequentialNetwork)model, shape);
        engine.Calibrate(2, minimumRepetitions: 1, secondsPerKernel: 0.0005);
        Assert.Equal(engine.Layers.Select(l => l.Name), engine.Calibrations.Select(c => c.Layer));
        Assert.Equal(20, engine.Calibrations.Count); // the stem, 9 blocks of two, the classifier
        using var guard = no_grad();
        using var x = randn(2, 3, 16, 16);
        using var expected = model.call(x);
        using var served = engine.call(x);
        Assert.True((expected - served).abs().max().item<float>() <= 1e-4f * Math.Max(1, expected.abs().max().item<float>()));
    }

    [Fact]
    public void Every_kernel_runs_the_weights_read_when_the_engine_was_made()
    {
        // The weights doubled after the engine was made: the dense kernels ran the model's live modules, the sparse ones
        // their copies, so a plan's answer depended on which kernels calibration chose.
        using var module = Pruned("lenet5-caffe", 0.1);
        using var engine = new SparseNetwork((ISequentialNetwork)module, Mnist);
        using var guard = no_grad();
        using var x = randn(3, 1, 28, 28);
        using var before = module.call(x);
        using Scalar two = 2.0.ToScalar();
        foreach (var parameter in module.parameters())
        {
            parameter.mul_(two);
        }
        foreach (var kernel in Enum.GetValues<LayerKernel>())
        {
            engine.UseForAll(kernel);
            using var served = engine.call(x);
            Assert.True((before - served).abs().max().item<float>() <= 1e-5f, $"{kernel}");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float64, "The input holds Float64 values; sparse inference runs on float32: convert it with .to(ScalarType.Float32). (Parameter 'x')")]
    [InlineData(ScalarType.Int64, "The input holds Int64 values; sparse inference runs on float32: convert it with .to(ScalarType.Float32). (Parameter 'x')")]
    public void An_input_of_another_type_than_float32_is_refused_not_read_as_float32(ScalarType type, string message)
    {
        // Its bytes were read as float32: 4.6e18 off the model's logits for float64, NaN for int64.
        using var module = Pruned("lenet-300-100", 0.1);
        using var engine = new SparseNetwork((ISequentialNetwork)module, Mnist);
        using var x = ones([2, 1, 28, 28], type);
        foreach (var kernel in new LayerKernel?[] { LayerKernel.Csr, LayerKernel.Dense, null })
        {
            if (kernel is { } k)
            {
                engine.UseForAll(k);
            }
            Assert.Equal(message, Assert.Throws<ArgumentException>(() => engine.call(x)).Message);
        }
    }

    [Fact]
    public void An_empty_batch_and_a_float64_model_are_refused_with_the_fix()
    {
        using var module = Pruned("lenet-300-100", 0.1);
        using (var engine = new SparseNetwork((ISequentialNetwork)module, Mnist))
        {
            engine.UseForAll(LayerKernel.Csr);
            using var none = zeros(0, 1, 28, 28);
            Assert.Equal("The input holds no sample (a batch of 0); give at least one. (Parameter 'x')", Assert.Throws<ArgumentException>(() => engine.call(none)).Message);
        }
        module.to(ScalarType.Float64);
        var e = Assert.Throws<NotSupportedException>(() => new SparseNetwork((ISequentialNetwork)module, Mnist));
        Assert.Equal("fc1 holds Float64 values; sparse inference runs float32 models: convert the model with model.to(ScalarType.Float32) first.", e.Message);
    }

    [Fact]
    public void A_network_that_starts_with_a_linear_layer_takes_images_and_rows_calibrated_or_not()
    {
        manual_seed(2);
        using var model = nn.Sequential(("fc1", nn.Linear(784, 30)), ("relu", nn.ReLU()), ("fc2", nn.Linear(30, 10)));
        model.eval();
        using var engine = new SparseNetwork(SequentialNetwork.From(model), Mnist);
        using var guard = no_grad();
        using var images = randn(64, 1, 28, 28);
        using var rows = images.reshape(64, 784);
        using var expected = model.call(rows);
        foreach (var kernel in new LayerKernel?[] { null, LayerKernel.Csr })
        {
            if (kernel is { } k)
            {
                engine.UseForAll(k);
            }
            using var fromImages = engine.call(images);
            using var fromRows = engine.call(rows);
            Assert.True((expected - fromImages).abs().max().item<float>() <= 1e-5f);
            Assert.True((expected - fromRows).abs().max().item<float>() <= 1e-5f);
        }
    }

    [Fact]
    public void A_grouped_convolution_is_refused_by_name()
    {
        // Refused before its weights are copied: the copies leaked (two tensors) when it was refused after.
        using var grouped = nn.Conv2d(4, 4, 3, groups: 2);
        var stage = new ConvolutionStage("conv", grouped);
        long before = Tensor.TotalCount;
        var e = Assert.Throws<NotSupportedException>(() => new SparseLayer(stage));
        Assert.Equal("conv: sparse execution covers plain convolutions (one group, explicit zero padding).", e.Message);
        Assert.True(Tensor.TotalCount <= before, $"{Tensor.TotalCount - before} tensors outlived the refusal"); // (a finalizer may free others meanwhile)
    }
}
