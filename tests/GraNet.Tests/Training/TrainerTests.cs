using GraNet.Data;
using GraNet.Models;
using GraNet.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Training;

public class TrainerTests
{
    private static readonly TrainingOptions Options = new() { Epochs = 3, BatchSize = 32, LearningRate = 0.05, Seed = 8, ValidationFraction = 0.2 };

    private static (TrainingResult Result, float[] Weights) Train(TrainingOptions options, string? folder = null, bool resume = false, CancellationToken cancellation = default, ITrainingObserver? observer = null)
    {
        manual_seed(options.Seed);
        using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
        var trainer = new Trainer(model, TinyTraining.Data(options), options, null, observer);
        var result = trainer.Run(folder, resume, ("lenet-300-100", "tiny", "{}"), cancellation);
        return (result, model.parameters().SelectMany(p => p.detach().flatten().data<float>().ToArray()).ToArray());
    }

    [Fact]
    public void Loss_falls_and_the_task_is_learned()
    {
        var (result, _) = Train(Options);
        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss / 2, $"loss {result.History[0].TrainLoss} -> {result.History[^1].TrainLoss}");
        Assert.True(result.TestAccuracy > 0.9, $"test accuracy {result.TestAccuracy}");
        Assert.InRange(result.BestEpoch, 1, 3);
        Assert.NotNull(result.BestValidationAccuracy);
    }

    [Fact]
    public void A_model_off_the_CPU_is_refused_before_anything_is_made_for_it()
    {
        // The trainer makes its batches in CPU memory: a model on another device (here libtorch's data-less "meta" device,
        // which every build has) failed at the first forward pass, inside libtorch.
        using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
        model.to(new Device(DeviceType.META));
        var refused = Assert.Throws<ArgumentException>(() => new Trainer(model, TinyTraining.Data(Options), Options));
        Assert.Equal("The model's fc1.weight is on meta: the trainer runs on the CPU (its batches are made in CPU memory); move the model to the CPU (model.to(CPU)) before giving it to the trainer. (Parameter 'model')", refused.Message);
    }

    [Fact]
    public void The_same_seed_gives_the_same_numbers()
    {
        var a = Train(Options);
        var b = Train(Options);
        Assert.Equal(a.Result.History.Select(h => h.TrainLoss), b.Result.History.Select(h => h.TrainLoss));
        Assert.Equal(a.Weights, b.Weights);
        var c = Train(Options with { Seed = 9 });
        Assert.NotEqual(a.Weights, c.Weights);
    }

    private sealed class CancelAfter(int epoch, CancellationTokenSource source) : ITrainingObserver
    {
        public void OnEpochCompleted(EpochMetrics metrics, IReadOnlyList<EpochMetrics> history)
        {
            if (metrics.Epoch == epoch)
            {
                source.Cancel();
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_killed_and_resumed_run_ends_with_the_same_numbers(int killedAfter)
    {
        string root = Directory.CreateTempSubdirectory("granet-trainer").FullName;
        try
        {
            var whole = Train(Options, Path.Combine(root, "whole"));
            string folder = Path.Combine(root, "killed");
            using var source = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => Train(Options, folder, false, source.Token, new CancelAfter(killedAfter, source)));
            var resumed = Train(Options, folder, resume: true);
            Assert.Equal(whole.Weights, resumed.Weights);
            Assert.Equal(whole.Result.History.Select(h => (h.TrainLoss, h.ValidationAccuracy)), resumed.Result.History.Select(h => (h.TrainLoss, h.ValidationAccuracy)));
            Assert.Equal(whole.Result.TestAccuracy, resumed.Result.TestAccuracy);
            Assert.Equal(whole.Result.BestEpoch, resumed.Result.BestEpoch);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_resume_with_data_of_another_size_is_refused()
    {
        string root = Directory.CreateTempSubdirectory("granet-trainer-data").FullName;
        try
        {
            var options = Options with { Epochs = 2, ValidationFraction = 0 };
            manual_seed(options.Seed);
            using (var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10))
            {
                new Trainer(model, TinyTraining.Data(options), options).Run(root, false, ("lenet-300-100", "tiny", "{}"));
            }
            using var other = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
            var trainer = new Trainer(other, TinyTraining.Data(options, count: 200), options);
            var e = Assert.Throws<InvalidDataException>(() => trainer.Run(root, true, ("lenet-300-100", "tiny", "{}")));
            Assert.Equal($"{Path.Combine(root, "last.ckpt")}: the run trained 13 steps per epoch, this trainer's data gives 7 (200 training images); resume with the data the run was trained on.", e.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_resume_with_other_images_of_the_same_size_is_refused_and_the_run_records_its_data()
    {
        string root = Directory.CreateTempSubdirectory("granet-trainer-digest").FullName;
        try
        {
            var options = Options with { Epochs = 2, ValidationFraction = 0 };
            var data = TinyTraining.Data(options);
            manual_seed(options.Seed);
            TrainingResult first;
            using (var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10))
            {
                first = new Trainer(model, data, options with { Epochs = 1 }).Run(root, false, ("lenet-300-100", "tiny", "{}"));
            }
            Assert.Equal(data.Train.Source.Digest, first.TrainingImagesSha256);
            Assert.Equal(data.Test.Source.Digest, first.TestImagesSha256);
            var header = Checkpoint.ReadHeader(Path.Combine(root, "last.ckpt"));
            Assert.Equal(data.Train.Source.Digest, header.TrainingImagesSha256);
            Assert.Equal(data.Test.Source.Digest, header.TestImagesSha256);

            // The same counts and labels, other pixels: the step counts fit, the numbers would not be the run's.
            var other = TinyTraining.Data(options, seed: 3);
            Assert.NotEqual(data.Train.Source.Digest, other.Train.Source.Digest);
            Assert.Equal("training and test images", Trainer.OtherData(header, other));
            Assert.Null(Trainer.OtherData(header, TinyTraining.Data(options)));
            Assert.Null(Trainer.OtherData(header with { TrainingImagesSha256 = null, TestImagesSha256 = null }, other)); // checkpoints of earlier versions
            Assert.Equal("test images", Trainer.OtherData(header with { TestImagesSha256 = other.Test.Source.Digest[..63] + "0" }, data));
            byte[] before = File.ReadAllBytes(Path.Combine(root, "last.ckpt"));
            using var again = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
            var e = Assert.Throws<InvalidDataException>(() => new Trainer(again, other, options).Run(root, true, ("lenet-300-100", "tiny", "{}")));
            Assert.Equal($"{Path.Combine(root, "last.ckpt")}: this trainer's data holds other training and test images than the run used (their SHA-256 digests over images and labels differ); resume with the data the run was trained on.", e.Message);
            Assert.Equal(before, File.ReadAllBytes(Path.Combine(root, "last.ckpt")));
            Assert.Equal(2, new Trainer(again, TinyTraining.Data(options), options).Run(root, true, ("lenet-300-100", "tiny", "{}")).History.Count);

            // A checkpoint of an earlier version (no digests) cannot tell its data: the resume is taken, and the run's
            // training images are unknown from then on (not the digest of the images the resume happened to get).
            using var old = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
            string last = Path.Combine(root, "last.ckpt");
            var trainer = new Trainer(old, other, options with { Epochs = 3 });
            var saved = Checkpoint.Load(last, old, trainer.Optimizer, null);
            Checkpoint.Save(last, saved with { TrainingImagesSha256 = null, TestImagesSha256 = null }, old, trainer.Optimizer, null);
            var resumed = trainer.Run(root, true, ("lenet-300-100", "tiny", "{}"));
            Assert.Equal(3, resumed.History.Count);
            Assert.Null(resumed.TrainingImagesSha256);
            Assert.Equal(other.Test.Source.Digest, resumed.TestImagesSha256); // the final test was on these
            Assert.Null(Checkpoint.ReadHeader(last).TrainingImagesSha256);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_nan_loss_stops_with_a_message_that_says_what_to_do()
    {
        var e = Assert.Throws<TrainingDivergedException>(() => Train(Options with { LearningRate = 1e30, ValidationFraction = 0 }));
        Assert.Contains("lower TrainingOptions.LearningRate (now 1E+30) or add TrainingOptions.WarmupEpochs.", e.Message, StringComparison.Ordinal);

        // Under warm-up the step's rate is below the option's: the advice names the option's value and the warm-up in force.
        var warm = Assert.Throws<TrainingDivergedException>(() => Train(Options with { LearningRate = 1e30, WarmupEpochs = 2, ValidationFraction = 0 }));
        Assert.Contains("lower TrainingOptions.LearningRate (now 1E+30) or lengthen TrainingOptions.WarmupEpochs (now 2).", warm.Message, StringComparison.Ordinal);
    }

    /// <summary>A linear classifier whose output is multiplied by 0: no gradient reaches its weights.</summary>
    private sealed class Unreachable : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear fc = nn.Linear(784, 10);

        public Unreachable()
            : base(nameof(Unreachable)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            var output = fc.call(input.flatten(1));
            return output * zeros_like(output);
        }
    }

    [Fact]
    public void A_mask_update_that_finds_no_gradient_stops_the_run_as_failed_saying_why()
    {
        // The library refuses such an event as a misplaced call (gradients cleared first); the trainer calls it in the right
        // place, so there the network is dead, and the run fails (exit 4 in the tool) with advice instead of an internal error.
        var options = Options with { Epochs = 1, ValidationFraction = 0 };
        manual_seed(1);
        using var model = new Unreachable();
        using var controller = new GraNet.Sparsity.SparsityController(new GraNet.Sparsity.SparsityOptions
        {
            Method = GraNet.Sparsity.SparsityMethodKind.GraNet, InitDensity = 0.5, FinalDensity = 0.2, UpdateInterval = 3, PruneStartEpoch = 0, PruneEndEpoch = 1,
        });
        var trainer = new Trainer(model, TinyTraining.Data(options), options, controller);
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run(null, false, ("unreachable", "tiny", "{}")));
        Assert.StartsWith("At epoch 1, step 3 no gradient reached the weights (every gradient of the model is zero, loss 2.3026)", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("the network is dead (no unit passes a gradient on). Lower TrainingOptions.LearningRate (now 0.05), add TrainingOptions.WarmupEpochs or try another TrainingOptions.Seed.", e.Message, StringComparison.Ordinal);
        Assert.IsType<GraNet.Sparsity.NoGradientException>(e.InnerException); // the library's diagnosis is kept
    }

    [Fact]
    public void A_run_at_chance_after_the_first_epoch_is_reported_as_collapsed()
    {
        // A learning rate so small that nothing moves: the loss stays at ln(10).
        var notices = new List<string>();
        var (result, _) = Train(Options with { LearningRate = 1e-12, Momentum = 0, Nesterov = false, WeightDecay = 0 }, observer: new Notices(notices));
        Assert.Equal(TrainingOutcome.Collapsed, result.Outcome);
        Assert.Single(result.History);
        // The notice states the rule the trainer applied: below chance by less than the margin.
        Assert.Contains(notices, n => n.Contains("collapsed", StringComparison.Ordinal) && n.Contains("not below ln(10) - 0.02 = 2.2826 (chance is ln(10) = 2.3026)", StringComparison.Ordinal));
    }

    [Theory]
    // RigL 95 % on P1, seed 18, epoch 1 (measured): 48 % accuracy, then the loss went far above chance.
    [InlineData(CollapseKind.BlewUp, 1, 3.0932, 0.4822, 469, "the network learned (48.22 % training accuracy over the epoch), then its loss rose far above chance: the weights blew up. Try a lower TrainingOptions.LearningRate, a warm-up (TrainingOptions.WarmupEpochs) or another TrainingOptions.Seed.")]
    // Above chance (2.3026 + 0.02) without having learned: blew up from the start.
    [InlineData(CollapseKind.BlewUp, 1, 2.4, 0.15, 469, "the loss rose far above chance: the weights blew up. Try a lower TrainingOptions.LearningRate, a warm-up (TrainingOptions.WarmupEpochs) or another TrainingOptions.Seed.")]
    // At chance (between 2.2826 and 2.3226) after 20 % accuracy (twice chance): learned, then fell back.
    [InlineData(CollapseKind.FellBack, 1, 2.30, 0.20, 469, "the network learned (20.00 % training accuracy over the epoch), then fell back to chance. Try a lower TrainingOptions.LearningRate or another TrainingOptions.Seed.")]
    // At chance all epoch (2.3225 is within ln 10 + 0.02 = 2.322585; 19.99 % is below twice chance): learned nothing.
    [InlineData(CollapseKind.LearnedNothing, 1, 2.3225, 0.1999, 469, "the network learned nothing. Try another TrainingOptions.Seed or a lower TrainingOptions.LearningRate.")]
    [InlineData(CollapseKind.LearnedNothing, 1, 2.3026, 0.1, 3, "the network learned nothing. Try another TrainingOptions.Seed or a lower TrainingOptions.LearningRate, or a smaller TrainingOptions.BatchSize (epoch 1 had only 3 steps).")]
    // A later epoch at chance: it had learned in the epochs before.
    [InlineData(CollapseKind.FellBack, 3, 2.29, 0.11, 469, "the network lost what it had learned. Try a lower TrainingOptions.LearningRate.")]
    [InlineData(CollapseKind.BlewUp, 3, 5.0, 0.3, 469, "the network learned (30.00 % training accuracy over the epoch), then its loss rose far above chance: the weights blew up. Try a lower TrainingOptions.LearningRate, a warm-up (TrainingOptions.WarmupEpochs) or another TrainingOptions.Seed.")]
    public void A_collapse_notice_tells_a_blow_up_a_fall_back_and_nothing_learned_apart(CollapseKind kind, int epoch, double loss, double accuracy, int steps, string expected)
    {
        var metrics = new EpochMetrics(epoch, loss, accuracy, null, 0.1, 1, 1, 0, new Dictionary<string, double>());
        Assert.Equal(kind, Trainer.Classify(metrics, 10));
        string notice = Trainer.CollapseNotice(metrics, 10, steps);
        string rule = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Training collapsed: the mean training loss of epoch {epoch} is {loss:F4}, not below ln(10) - 0.02 = 2.2826 (chance is ln(10) = 2.3026); ");
        Assert.Equal(rule + expected, notice);
        // A cause the hook knows (layers pruned away) is given instead.
        Assert.Equal(rule + "layer fc1.weight has no weight left.", Trainer.CollapseNotice(metrics, 10, steps, "layer fc1.weight has no weight left."));
    }

    [Fact]
    public void Resuming_a_collapsed_run_does_not_train_on()
    {
        string root = Directory.CreateTempSubdirectory("granet-collapse").FullName;
        try
        {
            var options = Options with { LearningRate = 1e-12, Momentum = 0, Nesterov = false, WeightDecay = 0 };
            Assert.Equal(TrainingOutcome.Collapsed, Train(options, root).Result.Outcome);
            var (resumed, _) = Train(options, root, resume: true);
            Assert.Equal(TrainingOutcome.Collapsed, resumed.Outcome);
            Assert.Single(resumed.History);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Without_a_folder_the_selected_epoch_is_kept_in_memory_and_reported()
    {
        // lr 0.2 overshoots after the first epoch, so an earlier epoch is selected; its test accuracy, not the last epoch's, is reported.
        var options = Options with { Epochs = 5, LearningRate = 0.2, Seed = 4, ValidationFraction = 0.3 };
        string folder = TestFiles.TempFolder("granet-best-memory");
        try
        {
            var withFolder = Train(options, folder).Result;
            var inMemory = Train(options).Result;
            Assert.True(withFolder.BestEpoch < withFolder.History.Count, $"best epoch {withFolder.BestEpoch} of {withFolder.History.Count}: the case needs an earlier best");
            Assert.Equal(withFolder.BestEpoch, inMemory.BestEpoch);
            Assert.Equal(withFolder.TestAccuracy, inMemory.TestAccuracy);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Records the learning rate the optimizer held for each step.</summary>
    private sealed class RateRecorder : ITrainingHook
    {
        private TorchSharp.Modules.OptimizerHelper? optimizer;

        public List<double> Rates { get; } = [];

        public bool ReadyForSelection => true;

        public void Attach(TrainingContext context) => optimizer = context.Optimizer;

        public void AfterOptimizerStep(long step) => Rates.Add(optimizer!.ParamGroups.First().LearningRate);

        public IReadOnlyDictionary<string, double> EpochScalars() => new Dictionary<string, double>();

        public void Save(BinaryWriter writer)
        {
        }

        public void Load(BinaryReader reader)
        {
        }
    }

    [Fact]
    public void Each_step_trains_at_the_rate_for_the_steps_completed_before_it()
    {
        // 320 training images in batches of 32: 10 steps per epoch. Half an epoch of warm-up (5 steps) at base rate 0.05
        // gives 0.05 * (k + 1) / 5 to the step after k completed steps: 0.01 .. 0.05; then 0.05 up to the milestone at
        // epoch 1 (steps 6..10), and 0.005 in epoch 2 (steps 11..20). A rate looked up one step ahead would start at 0.02
        // and drop to 0.005 at step 10, the last of epoch 1.
        var options = Options with { Epochs = 2, WarmupEpochs = 0.5, Milestones = [1], Gamma = 0.1, StopOnCollapse = false };
        var recorder = new RateRecorder();
        manual_seed(options.Seed);
        using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
        using var trainer = new Trainer(model, TinyTraining.Data(options), options, recorder);
        trainer.Run(null, false, ("lenet-300-100", "tiny", "{}"));
        double[] expected = [0.01, 0.02, 0.03, 0.04, 0.05, .. Enumerable.Repeat(0.05, 5), .. Enumerable.Repeat(0.005, 10)];
        Assert.Equal(expected, recorder.Rates.Select(r => Math.Round(r, 12)));
    }

    [Fact]
    public void Among_epochs_of_equal_validation_accuracy_the_first_is_selected()
    {
        // At a rate of 1e-12 no float32 weight moves (the updates are far below the weights' last bit), so all three epochs
        // have the same validation accuracy: only a strictly better epoch replaces the best, so epoch 1 stays selected (and
        // the test accuracy is that of the earliest model reaching the best validation accuracy).
        var options = Options with { LearningRate = 1e-12, Momentum = 0, Nesterov = false, WeightDecay = 0, StopOnCollapse = false };
        var (result, _) = Train(options);
        Assert.Equal(3, result.History.Count);
        Assert.Single(result.History.Select(h => h.ValidationAccuracy).Distinct());
        Assert.Equal(1, result.BestEpoch);
    }

    private sealed class Notices(List<string> notices) : ITrainingObserver
    {
        public void OnNotice(string message) => notices.Add(message);
    }
}
