using GraNet.Data;
using GraNet.Models;
using GraNet.Training;
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
    public void A_nan_loss_stops_with_a_message_that_says_what_to_do()
    {
        var e = Assert.Throws<TrainingDivergedException>(() => Train(Options with { LearningRate = 1e30, ValidationFraction = 0 }));
        Assert.Contains("lower TrainingOptions.LearningRate (now 1E+30) or add TrainingOptions.WarmupEpochs.", e.Message, StringComparison.Ordinal);

        // Under warm-up the step's rate is below the option's: the advice names the option's value and the warm-up in force.
        var warm = Assert.Throws<TrainingDivergedException>(() => Train(Options with { LearningRate = 1e30, WarmupEpochs = 2, ValidationFraction = 0 }));
        Assert.Contains("lower TrainingOptions.LearningRate (now 1E+30) or lengthen TrainingOptions.WarmupEpochs (now 2).", warm.Message, StringComparison.Ordinal);
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

    private sealed class Notices(List<string> notices) : ITrainingObserver
    {
        public void OnNotice(string message) => notices.Add(message);
    }
}
