using GraNet.Training;
using Xunit;

namespace GraNet.Tests.Training;

public class LearningRateScheduleTests
{
    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(49, 0.1)]
    [InlineData(50, 0.01)]
    [InlineData(74, 0.01)]
    [InlineData(75, 0.001)]
    [InlineData(99, 0.001)]
    public void Multistep_defaults_to_half_and_three_quarters(long step, double expected)
    {
        var schedule = new LearningRateSchedule(new TrainingOptions { Epochs = 20, LearningRate = 0.1 }, stepsPerEpoch: 5);
        Assert.Equal(expected, schedule.At(step), 12);
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(50, 0.05)]
    [InlineData(100, 0.0)]
    public void Cosine_decays_to_zero(long step, double expected)
    {
        var schedule = new LearningRateSchedule(new TrainingOptions { Epochs = 10, LearningRate = 0.1, Schedule = LearningRateScheduleKind.Cosine }, 10);
        Assert.Equal(expected, schedule.At(step), 12);
    }

    [Theory]
    [InlineData(19, 0.1)] // last warm-up step: 0.1 * 20 / 20
    [InlineData(20, 0.1)] // the cosine starts where the warm-up ends
    [InlineData(60, 0.05)] // halfway through the 80 steps after the warm-up: cos(pi / 2) = 0
    [InlineData(100, 0.0)] // the end of training
    public void Cosine_after_a_warmup_decays_over_the_remaining_steps_to_zero(long step, double expected)
    {
        // 10 epochs of 10 steps, 2 of them warm-up: the cosine spans steps 20..100, so progress = (t - 20) / 80.
        // Over all 100 steps instead it would give 0.05 * (1 + cos(0.4 pi)) = 0.0655 at step 60 and 0.0095 at the end.
        var schedule = new LearningRateSchedule(new TrainingOptions { Epochs = 10, LearningRate = 0.1, WarmupEpochs = 2, Schedule = LearningRateScheduleKind.Cosine }, 10);
        Assert.Equal(expected, schedule.At(step), 12);
    }

    [Fact]
    public void Warmup_ramps_linearly_per_step_then_hands_over()
    {
        var schedule = new LearningRateSchedule(new TrainingOptions { Epochs = 10, LearningRate = 0.2, WarmupEpochs = 1, Schedule = LearningRateScheduleKind.Constant }, 4);
        Assert.Equal([0.05, 0.1, 0.15, 0.2, 0.2], Enumerable.Range(0, 5).Select(s => Math.Round(schedule.At(s), 12)));
    }

    [Fact]
    public void A_milestone_at_the_end_of_the_warmup_applies_from_the_first_step_after_it()
    {
        // 2 warm-up epochs of 4 steps ramp to 0.1 (0.1 x 8 / 8 at step 7); the milestone at epoch 2 then applies at once
        // (step 8, not a step later), and the one at epoch 3 from step 12.
        var schedule = new LearningRateSchedule(new TrainingOptions { Epochs = 6, LearningRate = 0.1, WarmupEpochs = 2, Milestones = [2, 3] }, 4);
        Assert.Equal([0.0125, 0.025, 0.0375, 0.05, 0.0625, 0.075, 0.0875, 0.1, 0.01, 0.01, 0.01, 0.01, 0.001], Enumerable.Range(0, 13).Select(s => Math.Round(schedule.At(s), 12)));
    }

    [Fact]
    public void One_epoch_has_no_decay() => Assert.Empty(new TrainingOptions { Epochs = 1 }.EffectiveMilestones);

    [Theory]
    [InlineData("Epochs", "TrainingOptions.Epochs 0 must be at least 1.")]
    [InlineData("LearningRate", "TrainingOptions.LearningRate -1 must be a positive number.")]
    [InlineData("Momentum", "TrainingOptions.Momentum 1.5 must be in [0, 1).")]
    [InlineData("ValidationFraction", "TrainingOptions.ValidationFraction 1 must be in [0, 1).")]
    [InlineData("Milestones", "TrainingOptions.Milestones 12 must lie in 1..10.")]
    [InlineData("WarmupEpochs", "TrainingOptions.WarmupEpochs 10 must be in [0, TrainingOptions.Epochs).")]
    public void Validation_names_the_bad_option_by_its_property(string property, string message)
    {
        var options = property switch
        {
            "Epochs" => new TrainingOptions { Epochs = 0 },
            "LearningRate" => new TrainingOptions { LearningRate = -1 },
            "Momentum" => new TrainingOptions { Momentum = 1.5 },
            "ValidationFraction" => new TrainingOptions { ValidationFraction = 1 },
            "WarmupEpochs" => new TrainingOptions { Epochs = 10, WarmupEpochs = 10 },
            _ => new TrainingOptions { Epochs = 10, Milestones = [12] },
        };
        var e = Assert.Throws<OptionValueException>(options.Validate);
        Assert.Equal(property, e.Property);
        Assert.Equal(property, e.ParamName);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Values_a_32_bit_optimizer_cannot_hold_are_refused()
    {
        var rate = Assert.Throws<OptionValueException>(new TrainingOptions { LearningRate = 1e300 }.Validate);
        Assert.Equal(nameof(TrainingOptions.LearningRate), rate.Property);
        Assert.EndsWith(" must be at most 3.4e38 (optimizers compute in 32-bit floats).", rate.Message, StringComparison.Ordinal);
        var decay = Assert.Throws<OptionValueException>(new TrainingOptions { WeightDecay = 1e300 }.Validate);
        Assert.Equal(nameof(TrainingOptions.WeightDecay), decay.Property);
        new TrainingOptions { LearningRate = 1e38, WeightDecay = 1e38 }.Validate();
    }

    [Fact]
    public void An_optimizer_or_schedule_value_that_names_no_member_is_refused_as_an_option()
    {
        var optimizer = Assert.Throws<OptionValueException>(new TrainingOptions { Optimizer = (OptimizerKind)7 }.Validate);
        Assert.Equal("TrainingOptions.Optimizer 7 must be one of sgd, adam.", optimizer.Message);
        var schedule = Assert.Throws<OptionValueException>(new TrainingOptions { Schedule = (LearningRateScheduleKind)9 }.Validate);
        Assert.StartsWith("TrainingOptions.Schedule 9 must be one of multistep, ", schedule.Message, StringComparison.Ordinal);
    }
}
