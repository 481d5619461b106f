using System.Runtime.CompilerServices;
using GraNet.Data;
using GraNet.Export;
using GraNet.Inference;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Sparsity;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using GraNet.Sparsity.Methods;
using GraNet.Training.Optimizers;
using Xunit;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>The library examples of the README compile (they are this file), run, and stay identical to the README's text.</summary>
public class ReadmeExampleTests
{
    private static double Example(TextWriter log)
    {
        // README-BEGIN
        var model = nn.Sequential(("fc1", nn.Linear(784, 300)), ("relu", nn.ReLU()), ("fc2", nn.Linear(300, 10)));
        var optimizer = new ScalarSafeSgd(model.parameters(), lr: 0.1, momentum: 0.9);
        int stepsPerEpoch = 10, epochs = 3;
        var options = new SparsityOptions
        {
            Method = SparsityMethodKind.GraNet,   // or Gmp, RigL, Set, Snfs, Static, ...
            InitDensity = 0.5,                    // sparse-to-sparse; 1.0 = dense-to-sparse
            FinalDensity = 0.1,
            UpdateInterval = 5,                   // ΔT in optimizer steps
            PruneEndEpoch = 2,
        };
        using var sparsity = SparsityController.Create(model, optimizer, options, stepsPerEpoch, epochs, sampleShape: [784],
            maskUpdated: u => log.WriteLine($"step {u.Step}: {u.Kind}, density {u.Density:F3}"));   // from the initial masks on

        long step = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int batch = 0; batch < stepsPerEpoch; batch++)
            {
                using var scope = NewDisposeScope();
                var (x, y) = (randn(32, 784), randint(0, 10, [32]));   // your data here
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call(x), y).backward();
                optimizer.step();
                sparsity.AfterOptimizerStep(++step);                  // mask, prune, regenerate
            }
        }
        log.WriteLine($"final density {sparsity.Density:F3}, inference FLOPs {sparsity.InferenceFlopsRelative:P1} of dense");
        // README-END
        return sparsity.Density;
    }

    [Fact]
    public void The_example_runs_and_ends_at_the_final_density()
    {
        var log = new StringWriter();
        double density = Example(log);
        Assert.Equal(Math.Round(0.1 * ((784 * 300) + (300 * 10))) / ((784 * 300) + (300 * 10)), density, 12);
        Assert.StartsWith("step 0: Initial, density 0.500", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("Prune, density 0.100", log.ToString(), StringComparison.Ordinal);
    }

    private static SparsityOptions ResumeOptions => new()
    {
        Method = SparsityMethodKind.GraNet, InitDensity = 0.5, FinalDensity = 0.1, UpdateInterval = 3, PruneEndEpoch = 2,
    };

    /// <summary>Trains epochs [<paramref name="from"/>, <paramref name="to"/>) on seeded data (the same batches whenever the same epochs run).</summary>
    private static void Train(nn.Module<Tensor, Tensor> model, ScalarSafeSgd optimizer, SparsityController sparsity, int from, int to, int stepsPerEpoch)
    {
        for (int epoch = from; epoch < to; epoch++)
        {
            using var generator = new Generator((ulong)(100 + epoch));
            for (int batch = 0; batch < stepsPerEpoch; batch++)
            {
                using var scope = NewDisposeScope();
                var (x, y) = (randn([16, 784], generator: generator), randint(0, 4, [16], generator: generator));
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call(x), y).backward();
                optimizer.step();
                sparsity.AfterOptimizerStep(((long)epoch * stepsPerEpoch) + batch + 1);
            }
        }
    }

    private static Sequential ResumeModel()
    {
        manual_seed(5);
        return nn.Sequential(("fc1", nn.Linear(784, 30)), ("relu", nn.ReLU()), ("fc2", nn.Linear(30, 4)));
    }

    [Fact]
    public void Saving_and_resuming_as_the_readme_shows_ends_where_an_uninterrupted_run_does()
    {
        int stepsPerEpoch = 5, epochs = 3;
        var options = ResumeOptions;
        string folder = Directory.CreateTempSubdirectory("granet-readme-resume").FullName;
        try
        {
            float[] expected;
            using (var straight = ResumeModel())
            using (var straightOptimizer = new ScalarSafeSgd(straight.parameters(), lr: 0.1, momentum: 0.9))
            using (var straightSparsity = SparsityController.Create(straight, straightOptimizer, options, stepsPerEpoch, epochs, sampleShape: [784], seed: 4))
            {
                Train(straight, straightOptimizer, straightSparsity, 0, epochs, stepsPerEpoch);
                expected = straight.parameters().SelectMany(p => p.detach().flatten().data<float>().ToArray()).ToArray();
            }

            {
                using var model = ResumeModel();
                using var optimizer = new ScalarSafeSgd(model.parameters(), lr: 0.1, momentum: 0.9);
                using var sparsity = SparsityController.Create(model, optimizer, options, stepsPerEpoch, epochs, sampleShape: [784], seed: 4);
                Train(model, optimizer, sparsity, 0, 2, stepsPerEpoch);
                string modelFile = Path.Combine(folder, "model.bin"), optimizerFile = Path.Combine(folder, "optimizer.bin"), sparsityFile = Path.Combine(folder, "sparsity.bin");
                // README-SAVE-BEGIN
                // After an epoch: the model, the optimizer, and the controller (masks, step, FLOPs so far, growth state).
                model.save(modelFile);
                optimizer.save_state_dict(optimizerFile);
                using (var writer = new BinaryWriter(File.Create(sparsityFile)))
                {
                    sparsity.Save(writer);
                }
                // README-SAVE-END
            }
            {
                using var model = ResumeModel();
                using var optimizer = new ScalarSafeSgd(model.parameters(), lr: 0.1, momentum: 0.9);
                string modelFile = Path.Combine(folder, "model.bin"), optimizerFile = Path.Combine(folder, "optimizer.bin"), sparsityFile = Path.Combine(folder, "sparsity.bin");
                // README-RESUME-BEGIN
                // In a new process: the same model, optimizer, options and step counts. The controller takes its masks, step
                // and FLOPs so far from the saved state (resumeFrom), so the weights may be loaded before it or after.
                model.load(modelFile);
                optimizer.load_state_dict(optimizerFile);
                using var reader = new BinaryReader(File.OpenRead(sparsityFile));
                using var sparsity = SparsityController.Create(model, optimizer, options, stepsPerEpoch, epochs, sampleShape: [784], resumeFrom: reader);
                // README-RESUME-END
                Train(model, optimizer, sparsity, 2, epochs, stepsPerEpoch);
                float[] resumed = model.parameters().SelectMany(p => p.detach().flatten().data<float>().ToArray()).ToArray();
                Assert.Equal(expected, resumed);
                Assert.Equal(Math.Round(0.1 * ((784 * 30) + (30 * 4))) / ((784 * 30) + (30 * 4)), sparsity.Density, 12);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // README-CUSTOM-SCORE-BEGIN
    // Growth by |gradient|, doubled where a weight has never been active: the run explores more of the network.
    private sealed class ExploringGrowth : IGrowthScore
    {
        private readonly GradientGrowth gradient = new();   // |∂L/∂w| of the step's mini-batch

        public void RequireReady(MaskSet masks) => gradient.RequireReady(masks);   // refuses cleared gradients

        public Tensor Score(MaskedLayer layer, MaskSet masks)
        {
            var g = gradient.Score(layer, masks);
            return g.add(g.mul(layer.EverActive.logical_not()), alpha: HeldScalars.One);
        }
    }
    // README-CUSTOM-SCORE-END

    private static (SparsityController Sparsity, List<MaskUpdate> Updates) CustomExample(Sequential model, ScalarSafeSgd optimizer, SparsityOptions options, int stepsPerEpoch, int epochs)
    {
        var updates = new List<MaskUpdate>();
        // README-CUSTOM-BEGIN
        var sparsity = SparsityController.Create(model, optimizer, options, stepsPerEpoch, epochs, sampleShape: [784],
            method: steps => SparsityMethodFactory.Create(options, steps) with
            {
                Name = "granet-exploring",                             // saved with the state: Load wants the same name
                Regenerator = new Regenerator(new ExploringGrowth()),  // every other piece as options make it
            });
        // README-CUSTOM-END
        sparsity.MaskUpdated += updates.Add;
        return (sparsity, updates);
    }

    [Fact]
    public void The_exploring_growth_of_the_readme_doubles_the_score_where_no_weight_has_been()
    {
        using var model = TinyNets.Row([0.5f, -0.9f, 0.8f, 0.2f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        var options = new SparsityOptions { Method = SparsityMethodKind.Static, Distribution = DistributionKind.Uniform, FinalDensity = 0.5 };
        using var sparsity = SparsityController.Create(model, optimizer, options, 1, 1, [4]);
        var layer = sparsity.Masks.Layers[0];
        TinyNets.SetGradient(layer.Weight, [1f, -0.6f, 0.4f, -0.1f]);
        var everActive = TinyNets.Flat(layer.EverActive);
        Assert.Equal(2, everActive.Count(a => a)); // the random initial mask: 2 of 4

        using var score = new ExploringGrowth().Score(layer, sparsity.Masks);

        float[] gradient = [1f, 0.6f, 0.4f, 0.1f];
        Assert.Equal(gradient.Select((g, i) => everActive[i] ? g : 2 * g).ToArray(), TinyNets.Values(score));
    }

    [Fact]
    public void The_readme_example_of_a_method_of_ones_own_trains_to_the_final_density_under_its_own_name()
    {
        manual_seed(11);
        using var model = nn.Sequential(("fc1", nn.Linear(784, 30)), ("relu", nn.ReLU()), ("fc2", nn.Linear(30, 4)));
        using var optimizer = new ScalarSafeSgd(model.parameters(), lr: 0.1, momentum: 0.9);
        int stepsPerEpoch = 5, epochs = 3;
        var (sparsity, updates) = CustomExample(model, optimizer, ResumeOptions, stepsPerEpoch, epochs);
        using (sparsity)
        {
            Train(model, optimizer, sparsity, 0, epochs, stepsPerEpoch);
            Assert.Equal("granet-exploring", sparsity.Method.Name);
            Assert.IsType<ExploringGrowth>(sparsity.Method.Regenerator!.Growth);
            Assert.Equal(Math.Round(0.1 * ((784 * 30) + (30 * 4))) / ((784 * 30) + (30 * 4)), sparsity.Density, 12);
            Assert.Contains(updates, u => u.Kind == MaskUpdateKind.Regenerate && u.Layers.Sum(l => l.Added) > 0);
        }
    }

    [Fact]
    public void The_sparse_inference_example_gives_the_models_logits_and_a_compact_file_that_loads_back()
    {
        manual_seed(3);
        using var model = nn.Sequential(("fc1", nn.Linear(784, 300)), ("relu", nn.ReLU()), ("fc2", nn.Linear(300, 10)));
        using var optimizer = new ScalarSafeSgd(model.parameters(), lr: 0.1, momentum: 0.9);
        using var sparsity = SparsityController.Create(model, optimizer, new SparsityOptions { Method = SparsityMethodKind.Static, FinalDensity = 0.05 }, 10, 1, sampleShape: [784]);
        string modelFile = Path.Combine(Directory.CreateTempSubdirectory("granet-readme-sparse").FullName, "model.gsm");
        try
        {
            // README-SPARSE-BEGIN
            // After training: the model with sparse kernels. Each linear and convolution layer runs on the fastest of
            // libtorch's dense kernel and two CSR kernels at the batch size served (timed on the first batch of each size).
            model.eval();
            using var engine = new SparseNetwork(SequentialNetwork.From(model), new ImageShape(1, 1, 784));
            using var images = randn(64, 784);
            using var logits = engine.call(images);   // the masked model's logits, computed sparsely
            // A file with the positions and values of the active weights (of every tensor that is mostly zeros):
            CompactModel.Save(modelFile, model, new CompactModelHeader("my-mlp", "my-data", 1, 1, 784, 10, "{}", []));
            // README-SPARSE-END
            using var dense = model.call(images);
            Assert.True((dense - logits).abs().max().item<float>() < 1e-4f);
            long denseBytes = model.state_dict().Values.Sum(t => t.numel() * t.ElementSize);
            Assert.True(new FileInfo(modelFile).Length < denseBytes / 5, $"{new FileInfo(modelFile).Length} of {denseBytes}");
            using var again = nn.Sequential(("fc1", nn.Linear(784, 300)), ("relu", nn.ReLU()), ("fc2", nn.Linear(300, 10)));
            CompactModel.Load(modelFile, again);
            again.eval();
            using var reloaded = again.call(images);
            Assert.Equal(dense.data<float>().ToArray(), reloaded.data<float>().ToArray());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(modelFile)!, recursive: true);
        }
    }

    [Fact]
    public void A_sequential_model_with_batch_norm_and_average_pooling_runs_with_the_norms_folded()
    {
        manual_seed(7);
        using var model = nn.Sequential(
            ("conv1", nn.Conv2d(3, 8, 3, padding: 1)), ("bn1", new ScalarSafeBatchNorm2d(8)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(8, 16, 3, padding: 1, bias: false)), ("bn2", new ScalarSafeBatchNorm2d(16)), ("relu2", nn.ReLU()), ("pool2", nn.AvgPool2d(4)),
            ("flat", nn.Flatten()), ("fc", nn.Linear(16 * 2 * 2, 10)));
        // Statistics as training leaves them, not the defaults (mean 0, variance 1) that fold to nothing.
        model.train();
        using (no_grad())
        {
            for (int i = 0; i < 5; i++)
            {
                using var batch = randn(16, 3, 16, 16);
                model.call(batch).Dispose();
            }
        }
        model.eval();
        var network = SequentialNetwork.From(model);
        Assert.Equal(["ConvolutionStage", "BatchNormStage", "ReluStage", "MaxPoolStage", "ConvolutionStage", "BatchNormStage", "ReluStage", "AvgPoolStage", "FlattenStage", "LinearStage"],
            network.Stages.Select(s => s.GetType().Name));
        using var engine = new SparseNetwork(network, new ImageShape(3, 16, 16));
        Assert.Equal(["bn1", "bn2"], engine.Layers.Select(l => l.Norm?.Name).OfType<string>());
        foreach (var kernel in new[] { LayerKernel.Csr, LayerKernel.LibTorchCsr, LayerKernel.Dense })
        {
            engine.UseForAll(kernel);
            using var x = randn(5, 3, 16, 16);
            using var expected = model.call(x);
            using var served = engine.call(x);
            Assert.True((expected - served).abs().max().item<float>() < 1e-4f, kernel.ToString());
        }
    }

    [Fact]
    public void A_relu_on_the_callers_images_is_not_applied_to_them_in_place()
    {
        // The engine applies a ReLU in place to its own activations; right after a flatten of the input they are the caller's.
        manual_seed(9);
        using var model = nn.Sequential(("flat", nn.Flatten()), ("relu", nn.ReLU()), ("fc", nn.Linear(12, 3)));
        model.eval();
        using var engine = new SparseNetwork(SequentialNetwork.From(model), new ImageShape(1, 3, 4));
        foreach (var kernel in new[] { LayerKernel.Csr, LayerKernel.Dense })
        {
            engine.UseForAll(kernel);
            using var x = randn(2, 1, 3, 4);
            using var before = x.clone();
            using var expected = model.call(x);
            using var served = engine.call(x);
            Assert.True((expected - served).abs().max().item<float>() < 1e-5f);
            Assert.Equal(before.data<float>().ToArray(), x.data<float>().ToArray());
        }
    }

    [Fact]
    public void A_sequential_model_runs_on_the_engine_as_it_runs_itself_and_orders_the_engine_cannot_run_are_refused()
    {
        manual_seed(6);
        using var pooled = nn.Sequential(("conv", nn.Conv2d(1, 4, 3)), ("relu", nn.ReLU()), ("pool", nn.MaxPool2d(2)), ("flat", nn.Flatten()), ("fc", nn.Linear(4 * 13 * 13, 10)));
        var stages = SequentialNetwork.From(pooled).Stages;
        Assert.Equal(["ConvolutionStage", "ReluStage", "MaxPoolStage", "FlattenStage", "LinearStage"], stages.Select(s => s.GetType().Name));
        Assert.Equal(2, ((MaxPoolStage)stages[2]).Kernel);
        // A pooling first (it was given a flatten in front, and failed in libtorch), odd sizes, a 3-wide window, batch 1.
        using var poolFirst = nn.Sequential(("p", nn.MaxPool2d(3)), ("f", nn.Flatten()), ("fc", nn.Linear(16, 5)));
        foreach (var (model, shape) in new[] { (pooled, new ImageShape(1, 28, 28)), (poolFirst, new ImageShape(1, 13, 12)) })
        {
            model.eval();
            using var engine = new SparseNetwork(SequentialNetwork.From(model), shape);
            foreach (int batch in new[] { 1, 8 })
            {
                using var x = randn(batch, shape.Channels, shape.Height, shape.Width);
                using var expected = model.call(x);
                using var served = engine.call(x);
                Assert.Equal(expected.shape, served.shape);
                Assert.True((expected - served).abs().max().item<float>() < 1e-5f);
            }
        }
        // A first linear layer gets a flatten in front (images and rows alike); names are the model's.
        using var mlp = nn.Sequential(("fc1", nn.Linear(4, 3)), ("relu", nn.ReLU()), ("fc2", nn.Linear(3, 2)));
        var mlpStages = SequentialNetwork.From(mlp).Stages;
        Assert.IsType<FlattenStage>(mlpStages[0]);
        Assert.Equal(["fc1", "fc2"], mlpStages.OfType<LinearStage>().Select(s => s.Name));

        string Refusal(Sequential model) => Assert.Throws<ArgumentException>(() => SequentialNetwork.From(model)).Message;
        using var tanh = nn.Sequential(("fc1", nn.Linear(4, 3)), ("act", nn.Tanh()), ("fc2", nn.Linear(3, 2)));
        Assert.StartsWith("act (Tanh): a module sparse inference does not run; sparse inference runs Conv2d (one group, zero padding), BatchNorm2d, ReLU, MaxPool2d and AvgPool2d", Refusal(tanh), StringComparison.Ordinal);
        using var strided = nn.Sequential(("pool", nn.MaxPool2d(3, stride: 2)));
        Assert.StartsWith("pool (MaxPool2d): a module sparse inference does not run;", Refusal(strided), StringComparison.Ordinal);
        using var unflattened = nn.Sequential(("conv", nn.Conv2d(1, 4, 3)), ("relu", nn.ReLU()), ("fc", nn.Linear(10, 5)));
        Assert.StartsWith("fc (Linear): a linear layer after a convolution or pooling needs a Flatten before it;", Refusal(unflattened), StringComparison.Ordinal);
        using var grouped = nn.Sequential(("conv", nn.Conv2d(2, 4, 3, groups: 2)));
        Assert.StartsWith("conv (Conv2d): a convolution with groups, transposed, or padding other than explicit zeros", Refusal(grouped), StringComparison.Ordinal);
        using var late = nn.Sequential(("fc1", nn.Linear(4, 3)), ("flat", nn.Flatten()), ("fc2", nn.Linear(3, 2)));
        Assert.StartsWith("flat (Flatten): a second Flatten, or a Flatten after a linear layer;", Refusal(late), StringComparison.Ordinal);

        using var normAfterFlatten = nn.Sequential(("flat", nn.Flatten()), ("bn", new ScalarSafeBatchNorm2d(4)), ("fc", nn.Linear(4, 2)));
        Assert.StartsWith("bn (ScalarSafeBatchNorm2d): a batch norm after a Flatten or a linear layer;", Refusal(normAfterFlatten), StringComparison.Ordinal);
#pragma warning disable GRANET002 // never run: only refused
        using var oneDimensional = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("bn", nn.BatchNorm1d(2)));
#pragma warning restore GRANET002
        Assert.StartsWith("bn (BatchNorm1d): a module sparse inference does not run;", Refusal(oneDimensional), StringComparison.Ordinal);
        using var paddedAverage = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("pool", nn.AvgPool2d(2, padding: 1)));
        Assert.StartsWith("pool (AvgPool2d): a module sparse inference does not run;", Refusal(paddedAverage), StringComparison.Ordinal);

        // An input of another shape than the engine was made for is refused by name, not indexed past.
        using var convolutional = new SparseNetwork(SequentialNetwork.From(pooled), new ImageShape(1, 28, 28));
        using var rows = randn(2, 784);
        Assert.Equal("The input is [2, 784]; this network was made for [N, 1, 28, 28] images (the ImageShape given to SparseNetwork). (Parameter 'x')",
            Assert.Throws<ArgumentException>(() => convolutional.call(rows)).Message);
        using var rowsEngine = new SparseNetwork(SequentialNetwork.From(mlp), new ImageShape(1, 1, 4));
        using var wrong = randn(2, 5);
        Assert.Equal("The input is [2, 5]; this network was made for [N, 1, 1, 4] images or [N, 4] rows (the ImageShape given to SparseNetwork). (Parameter 'x')",
            Assert.Throws<ArgumentException>(() => rowsEngine.call(wrong)).Message);
    }

    [Theory]
    [InlineData("README-SPARSE")]
    [InlineData("README")]
    [InlineData("README-SAVE")]
    [InlineData("README-RESUME")]
    [InlineData("README-CUSTOM-SCORE")]
    [InlineData("README-CUSTOM")]
    public void The_readme_shows_exactly_these_examples(string marker)
    {
        string[] source = File.ReadAllLines(ThisFile());
        int begin = Array.FindIndex(source, l => l.Trim() == $"// {marker}-BEGIN");
        int end = Array.FindIndex(source, l => l.Trim() == $"// {marker}-END");
        Assert.True(begin >= 0 && end > begin);
        var lines = source[(begin + 1)..end];
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        var block = lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart());
        string readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "..", "..", "README.md"));
        Assert.Contains(string.Join('\n', block), readme.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
