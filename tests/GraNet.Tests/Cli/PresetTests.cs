using System.CommandLine;
using GraNet.Cli.Commands;
using GraNet.Cli.Configuration;
using GraNet.Training;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>A preset sets the sparsity schedule with the recipe, and --epochs alone scales the preset's milestones and pruning window.</summary>
public class PresetTests
{
    private static RunConfiguration Resolve(params string[] args)
    {
        var options = new TrainOptions();
        var command = new Command("train");
        options.AddTo(command);
        return options.Resolve(command.Parse(["--output", Path.GetTempPath(), .. args])).Configuration;
    }

    [Fact]
    public void The_paper_preset_prunes_every_1000_steps_until_epoch_80()
    {
        var c = Resolve("--preset", "paper-cifar", "--method", "granet", "--model", "vgg19", "--dataset", "cifar10");
        Assert.Equal((160, 1000, 0.0, 80.0, 0.5), (c.Training.Epochs, c.Sparsity.UpdateInterval, c.Sparsity.PruneStartEpoch, c.Sparsity.PruneEndEpoch, c.Sparsity.RegrowthRate));
        Assert.Equal([80, 120], c.Training.Milestones);
    }

    [Fact]
    public void Epochs_alone_scale_the_window_and_the_milestones_and_explicit_values_win()
    {
        // P1: 20 epochs, milestones 10 and 15, pruning 0-10. At 2 epochs: 1 and 1.5 -> 1 (rounded down, as the defaults
        // are), pruning 0-1; at 7 epochs: 3.5 -> 3 and 5.25 -> 5, the defaults' 7 / 2 and 7 * 3 / 4.
        var two = Resolve("--preset", "p1", "--method", "granet", "--epochs", "2");
        Assert.Equal([1, 1], two.Training.Milestones);
        Assert.Equal([3, 5], Resolve("--preset", "p1", "--epochs", "7").Training.Milestones);
        Assert.Equal([3, 5], Resolve("--epochs", "7").Training.Milestones);
        // One epoch: P1's 0.5 and 0.75 become epoch 1 (after the run's end: no decay within it); the defaults have none.
        Assert.Equal([1, 1], Resolve("--preset", "p1", "--epochs", "1").Training.Milestones);
        Assert.Empty(Resolve("--epochs", "1").Training.Milestones);
        Assert.Equal((0.0, 1.0), (two.Sparsity.PruneStartEpoch, two.Sparsity.PruneEndEpoch));
        var given = Resolve("--preset", "p1", "--method", "granet", "--epochs", "4", "--prune-end-epoch", "3");
        Assert.Equal((0.0, 3.0), (given.Sparsity.PruneStartEpoch, given.Sparsity.PruneEndEpoch));
        Assert.Equal(100, given.Sparsity.UpdateInterval);
    }

    [Fact]
    public void Milestones_that_fall_together_stay_two_decays()
    {
        // P1 at 2 epochs: 10 x 2 / 20 = 1 and 15 x 2 / 20 = 1.5 -> 1: the rate is 0.1 x 0.1 x 0.1 from epoch 1 on (the
        // schedule's epochs count from 0), as MultiStepLR([1, 1]) gives.
        var c = Resolve("--preset", "p1", "--epochs", "2");
        Assert.Equal([1, 1], c.Training.Milestones);
        var schedule = new LearningRateSchedule(c.Training, stepsPerEpoch: 10);
        Assert.Equal(0.1, schedule.AtEpoch(0), 12);
        Assert.Equal(0.001, schedule.AtEpoch(1), 12);
    }

    [Fact]
    public void A_fractional_warmup_never_passes_the_base_rate()
    {
        // 0.5 epochs of 5 steps = 2.5 steps: 0.04, 0.08, then 0.12 would pass 0.1.
        var schedule = new LearningRateSchedule(new TrainingOptions { Epochs = 4, LearningRate = 0.1, WarmupEpochs = 0.5, Schedule = LearningRateScheduleKind.Constant }, 5);
        Assert.Equal([0.04, 0.08, 0.1, 0.1], Enumerable.Range(0, 4).Select(s => Math.Round(schedule.At(s), 12)));
    }
}
