using GraNet.Data;
using GraNet.Models;
using GraNet.Sparsity;
using GraNet.Training;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>A sparse run killed after an epoch and resumed ends with the same masks, weights and numbers as an uninterrupted one.</summary>
public class SparseResumeTests
{
    private static TrainingData TinyData()
    {
        // 2 classes of 8x8 images: class 0 bright on the left, class 1 bright on the right, plus noise.
        var random = new Random(5);
        int count = 192;
        var shape = new ImageShape(1, 8, 8);
        var pixels = new byte[count * shape.Size];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)(i % 2);
            for (int p = 0; p < shape.Size; p++)
            {
                bool bright = (p % 8 < 4) == (labels[i] == 0);
                pixels[(i * shape.Size) + p] = (byte)((bright ? 160 : 40) + random.Next(60));
            }
        }
        var data = new ImageDataset("tiny", shape, 2, pixels, labels);
        var (train, validation) = DataSplit.Holdout(count, 0.25, 3);
        return new TrainingData(
            new BatchLoader(data, train, [0.5f], [0.25f], 16),
            new BatchLoader(data, validation, [0.5f], [0.25f], 64),
            new BatchLoader(data, null, [0.5f], [0.25f], 64),
            2,
            false);
    }

    private static readonly TrainingOptions Options = new() { Epochs = 3, BatchSize = 16, LearningRate = 0.05, Seed = 4, ValidationFraction = 0.25, StopOnCollapse = false };

    private static readonly SparsityOptions Sparse = new()
    {
        Method = SparsityMethodKind.GraNet, InitDensity = 0.5, FinalDensity = 0.2, UpdateInterval = 3, PruneStartEpoch = 0, PruneEndEpoch = 2,
    };

    private static (TrainingResult Result, float[] Weights, bool[] Masks) Train(string folder, CancellationToken cancellation, bool resume, ITrainingObserver? observer = null, SparsityOptions? sparse = null)
    {
        manual_seed(Options.Seed);
        using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 8, 8), 2);
        using var controller = new SparsityController(sparse ?? Sparse);
        var trainer = new Trainer(model, TinyData(), Options, controller, observer);
        var result = trainer.Run(folder, resume, ("lenet-300-100", "tiny", "{}"), cancellation);
        float[] weights = model.parameters().SelectMany(p => TinyNets.Values(p)).ToArray();
        bool[] masks = controller.Masks.Layers.SelectMany(l => TinyNets.Flat(l.Mask)).ToArray();
        return (result, weights, masks);
    }

    private sealed class StopAfterFirstEpoch(CancellationTokenSource source) : ITrainingObserver
    {
        public void OnEpochCompleted(EpochMetrics metrics, IReadOnlyList<EpochMetrics> history) => source.Cancel();
    }

    /// <summary>Every method, and every growth criterion (each keeps its own state: momentum's dense momentum, random's generator).</summary>
    public static TheoryData<SparsityMethodKind, GrowthKind?> Methods => new()
    {
        { SparsityMethodKind.GraNet, null },
        { SparsityMethodKind.GraNet, GrowthKind.Momentum },
        { SparsityMethodKind.GraNet, GrowthKind.Random },
        { SparsityMethodKind.GraNetUniform, null },
        { SparsityMethodKind.Gmp, null },
        { SparsityMethodKind.GmpUniform, null },
        { SparsityMethodKind.RigL, null },
        { SparsityMethodKind.Set, null },
        { SparsityMethodKind.Snfs, null },
        { SparsityMethodKind.Static, null },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void Resumed_sparse_run_equals_the_uninterrupted_one(SparsityMethodKind method, GrowthKind? growth)
    {
        // Pruning methods go from 0.5 to 0.2; the others hold 0.2 throughout. RigL never stops, so masks move in every epoch.
        var sparse = Sparse with { Method = method, Growth = growth, InitDensity = (Sparse with { Method = method }).IsPruningMethod ? 0.5 : 0.2, RigLStopFraction = 1 };
        string root = Directory.CreateTempSubdirectory("granet-resume").FullName;
        try
        {
            var whole = Train(Path.Combine(root, "whole"), CancellationToken.None, resume: false, sparse: sparse);

            string killed = Path.Combine(root, "killed");
            using var source = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => Train(killed, source.Token, resume: false, new StopAfterFirstEpoch(source), sparse));
            Assert.Equal(1, Checkpoint.ReadHeader(Path.Combine(killed, "last.ckpt")).EpochsCompleted);
            var resumed = Train(killed, CancellationToken.None, resume: true, sparse: sparse);

            Assert.Equal(whole.Masks, resumed.Masks);
            Assert.Equal(whole.Weights, resumed.Weights);
            Assert.Equal(whole.Result.History.Select(h => h.TrainLoss), resumed.Result.History.Select(h => h.TrainLoss));
            Assert.Equal(whole.Result.TestAccuracy, resumed.Result.TestAccuracy);
            Assert.Equal(whole.Result.History[^1].Scalars["density"], resumed.Result.History[^1].Scalars["density"]);
            Assert.Equal(0.2, whole.Result.History[^1].Scalars["density"], 3);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Best_epoch_is_never_one_before_the_end_of_pruning()
    {
        string root = Directory.CreateTempSubdirectory("granet-best").FullName;
        try
        {
            var run = Train(root, CancellationToken.None, resume: false);
            Assert.InRange(run.Result.BestEpoch, 2, 3);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
