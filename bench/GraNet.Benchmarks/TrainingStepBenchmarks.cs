using BenchmarkDotNet.Attributes;
using GraNet.Data;
using GraNet.Models;
using GraNet.Sparsity;
using GraNet.Training.Optimizers;
using TorchSharp;
using static TorchSharp.torch;

namespace GraNet.Benchmarks;

/// <summary>One SGD training step of LeNet-5-Caffe (batch 128) dense and under each sparse method (masks applied after the step).</summary>
public class TrainingStepBenchmarks
{
    private nn.Module<Tensor, Tensor> model = null!;
    private optim.Optimizer optimizer = null!;
    private SparsityController? sparsity;
    private Tensor images = null!;
    private Tensor labels = null!;
    private int step;

    [Params(SparsityMethodKind.Dense, SparsityMethodKind.GraNet, SparsityMethodKind.Gmp, SparsityMethodKind.RigL, SparsityMethodKind.Set, SparsityMethodKind.Snfs, SparsityMethodKind.Static)]
    public SparsityMethodKind Sparsity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var spec = DatasetCatalog.FashionMnist;
        manual_seed(1);
        model = ModelRegistry.Create("lenet5-caffe", spec.Shape, spec.Classes);
        var sgd = new ScalarSafeSgd(model.parameters(), 0.01, 0.9, 0, 5e-4, true);
        optimizer = sgd;
        if (Sparsity != SparsityMethodKind.Dense)
        {
            // The first mask update at step 1,000,000, which a benchmark never reaches: this times the step with masking,
            // not the updates (see MaskUpdateBenchmarks).
            var options = new SparsityOptions { Method = Sparsity, InitDensity = 0.5, FinalDensity = 0.05, UpdateInterval = 1_000_000, PruneEndEpoch = 2 };
            sparsity = SparsityController.Create(model, sgd, options, 1_000_000, 2, [1, 28, 28]);
        }
        images = randn(128, 1, 28, 28);
        labels = randint(0, 10, [128]);
        model.train();
    }

    [Benchmark]
    public void Step()
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.call(images), labels);
        loss.backward();
        optimizer.step();
        sparsity?.AfterOptimizerStep(++step);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        sparsity?.Dispose();
        optimizer.Dispose();
        model.Dispose();
        images.Dispose();
        labels.Dispose();
    }
}
