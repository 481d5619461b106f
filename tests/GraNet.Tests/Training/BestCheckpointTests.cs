using GraNet.Data;
using GraNet.Models;
using GraNet.Training;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Training;

/// <summary>The test accuracy is measured on best.ckpt: a resumed run refuses a best.ckpt that is missing, of another epoch, or of another run.</summary>
public sealed class BestCheckpointTests : IDisposable
{
    private const string Configuration = """{"model":"lenet-300-100","training":{"epochs":3,"seed":6}}""";

    private static readonly TrainingOptions Options = new() { Epochs = 3, BatchSize = 50, LearningRate = 0.05, Seed = 6, ValidationFraction = 0.2 };

    private readonly string folder = TestFiles.TempFolder("granet-best");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Best => Path.Combine(folder, "best.ckpt");

    private static TrainingResult Train(string folder, bool resume, string configuration, CancellationToken cancellation = default, ITrainingObserver? observer = null)
    {
        manual_seed(Options.Seed);
        using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
        var trainer = new Trainer(model, TinyTraining.Data(Options, count: 200), Options, null, observer) { KeepEpochs = new HashSet<int> { 1, 2 } };
        return trainer.Run(folder, resume, ("lenet-300-100", "tiny", configuration), cancellation);
    }

    private sealed class StopAfterEpoch(CancellationTokenSource source, int epoch) : ITrainingObserver
    {
        public void OnEpochCompleted(EpochMetrics metrics, IReadOnlyList<EpochMetrics> history)
        {
            if (history.Count == epoch)
            {
                source.Cancel();
            }
        }
    }

    /// <summary>Trains epochs 1 and 2 of 3 and stops, as a killed run would; returns the best epoch so far.</summary>
    private int TrainTwoEpochs()
    {
        using var source = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => Train(folder, false, Configuration, source.Token, new StopAfterEpoch(source, 2)));
        return Checkpoint.ReadHeader(Path.Combine(folder, "last.ckpt")).BestEpoch;
    }

    [Fact]
    public void A_kept_epoch_checkpoint_missing_on_resume_is_made_from_last_ckpt()
    {
        // A process stopped after last.ckpt of epoch 2 was renamed into place and before epoch-2.ckpt was copied from it.
        TrainTwoEpochs();
        string kept = Path.Combine(folder, "epoch-2.ckpt");
        byte[] last = File.ReadAllBytes(Path.Combine(folder, "last.ckpt"));
        Assert.Equal(last, File.ReadAllBytes(kept));
        File.Delete(kept);
        Train(folder, true, Configuration);
        Assert.Equal(last, File.ReadAllBytes(kept)); // epoch 2's checkpoint, not epoch 3's
        Assert.Equal(3, Checkpoint.ReadHeader(Path.Combine(folder, "last.ckpt")).EpochsCompleted);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void A_missing_best_checkpoint_is_named_before_training_on()
    {
        int best = TrainTwoEpochs();
        File.Delete(Best);
        var e = Assert.Throws<InvalidDataException>(() => Train(folder, true, Configuration));
        Assert.Equal($"{Best} is missing: it holds epoch {best}, selected by validation accuracy, on which the test accuracy is measured; restore the file, or train the run again in another folder.", e.Message);
        Assert.Equal(2, Checkpoint.ReadHeader(Path.Combine(folder, "last.ckpt")).EpochsCompleted); // nothing trained
    }

    [Fact]
    public void A_best_checkpoint_of_another_epoch_is_refused()
    {
        int best = TrainTwoEpochs();
        int other = best == 1 ? 2 : 1;
        File.Copy(Path.Combine(folder, $"epoch-{other}.ckpt"), Best, overwrite: true);
        var e = Assert.Throws<InvalidDataException>(() => Train(folder, true, Configuration));
        Assert.Equal($"{Best} holds epoch {other}, but the run selected epoch {best}; restore the run's own best.ckpt, or train the run again in another folder.", e.Message);
    }

    [Fact]
    public void A_best_checkpoint_of_another_run_is_refused_and_the_own_one_resumes()
    {
        TrainTwoEpochs();
        string own = Best + ".own";
        File.Copy(Best, own);
        string otherFolder = Path.Combine(folder, "other");
        Train(otherFolder, false, Configuration.Replace("6}", "7}", StringComparison.Ordinal));
        File.Copy(Path.Combine(otherFolder, "best.ckpt"), Best, overwrite: true);
        var e = Assert.Throws<InvalidDataException>(() => Train(folder, true, Configuration));
        Assert.StartsWith($"{Best}: the checkpoint was written by a run with training.seed 7, this run's configuration says 6;", e.Message, StringComparison.Ordinal);

        // The same file cut short is named as damaged (its checksum), not as another run's: its header still reads.
        TestFiles.CutShort(Best);
        e = Assert.Throws<InvalidDataException>(() => Train(folder, true, Configuration));
        Assert.StartsWith($"{Best}: the GraNet checkpoint is damaged", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("; restore the file, or train the run again in another folder.", e.Message, StringComparison.Ordinal);
        File.Copy(own, Best, overwrite: true);
        Assert.Equal(3, Train(folder, true, Configuration).History.Count);
    }

    /// <summary>Records, at each <see cref="ITrainingObserver.OnCheckpointing"/>, the epoch last.ckpt holds then.</summary>
    private sealed class CheckpointWatcher(string folder) : ITrainingObserver
    {
        public List<(int Epoch, int InLastCheckpoint)> Seen { get; } = [];

        public void OnCheckpointing(int epoch)
        {
            string last = Path.Combine(folder, "last.ckpt");
            Seen.Add((epoch, File.Exists(last) ? Checkpoint.ReadHeader(last).EpochsCompleted : 0));
        }
    }

    [Fact]
    public void Observers_write_an_epochs_records_before_its_checkpoint()
    {
        var watcher = new CheckpointWatcher(folder);
        Train(folder, false, Configuration, observer: watcher);
        // A run killed right after last.ckpt of epoch e resumes at e + 1: what belongs to epoch e is already written.
        Assert.Equal([(1, 0), (2, 1), (3, 2)], watcher.Seen);
    }

    [Fact]
    public void A_resumed_run_counts_the_wall_time_of_the_processes_before_it()
    {
        TrainTwoEpochs();
        double earlier = Checkpoint.ReadHeader(Path.Combine(folder, "last.ckpt")).WallSeconds;
        Assert.True(earlier > 0);
        var result = Train(folder, true, Configuration);
        Assert.True(result.WallSeconds > earlier, $"{result.WallSeconds} <= {earlier}");
        double total = Checkpoint.ReadHeader(Path.Combine(folder, "last.ckpt")).WallSeconds;
        Assert.InRange(total, earlier, result.WallSeconds);
    }

    [Fact]
    public void A_run_stopped_between_its_last_and_its_best_checkpoint_resumes()
    {
        // Stopped after last.ckpt named a new best but before best.ckpt.next became best.ckpt: the resume finishes the rename.
        int best = TrainTwoEpochs();
        int other = best == 1 ? 2 : 1;
        File.Move(Best, Best + ".next");
        File.Copy(Path.Combine(folder, $"epoch-{other}.ckpt"), Best);
        Assert.Equal(3, Train(folder, true, Configuration).History.Count);
        Assert.False(File.Exists(Best + ".next"));
    }

    [Fact]
    public void A_best_written_for_an_epoch_whose_last_checkpoint_never_landed_is_dropped()
    {
        // Stopped after best.ckpt.next of epoch 3 was written, before last.ckpt of epoch 3: last.ckpt (epoch 2) is what resumes.
        TrainTwoEpochs();
        File.Copy(Path.Combine(folder, "last.ckpt"), Best + ".next");
        var header = Checkpoint.ReadHeader(Path.Combine(folder, "last.ckpt"));
        if (header.BestEpoch == 2)
        {
            // last.ckpt is epoch 2 and names epoch 2 the best: make the stray file another epoch's.
            File.Copy(Path.Combine(folder, "epoch-1.ckpt"), Best + ".next", overwrite: true);
        }
        Assert.Equal(3, Train(folder, true, Configuration).History.Count);
        Assert.False(File.Exists(Best + ".next"));
    }
}
