using GraNet.Sparsity.Schedules;
using Xunit;

namespace GraNet.Tests.Sparsity;

public class ScheduleTests
{
    [Theory]
    [InlineData(100, 1.0)]
    [InlineData(350, 0.05 + (0.95 * 0.421875))] // (1 - 250/1000)^3 = 0.75^3
    [InlineData(600, 0.05 + (0.95 * 0.125))] // halfway: 0.5^3
    [InlineData(1100, 0.05)]
    [InlineData(5000, 0.05)]
    public void Cubic_density_at_chosen_steps(long step, double expected)
    {
        var schedule = new CubicPruningSchedule(100, 1100, 100, 1.0, 0.05);
        Assert.Equal(expected, schedule.DensityAt(step), 12);
    }

    [Fact]
    public void Pruning_events_fall_on_multiples_of_the_interval_inside_the_window_and_at_the_end()
    {
        var schedule = new CubicPruningSchedule(100, 1050, 100, 1.0, 0.05);
        var events = Enumerable.Range(0, 2000).Where(t => schedule.IsPruningStep(t)).ToArray();
        Assert.Equal([200, 300, 400, 500, 600, 700, 800, 900, 1000, 1050], events);
        Assert.Equal(0.05, schedule.DensityAt(1050));
    }

    [Fact]
    public void Cubic_schedule_refuses_an_empty_window() =>
        Assert.Throws<ArgumentException>(() => new CubicPruningSchedule(100, 100, 10, 1, 0.1));

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(500, 0.2525)]
    [InlineData(1000, 0.005)]
    [InlineData(250, 0.005 + (0.495 * (1 + 0.70710678118654757) / 2))]
    public void Cosine_regrowth_rate(long step, double expected) =>
        Assert.Equal(expected, new CosineRegrowthRate(0.5, 0.005, 1000).RateAt(step), 10);

    [Theory]
    [InlineData(0.58, 100_000, 58_000)] // 0.58 × 100000 = 57999.99999999999 in floating point
    [InlineData(0.29, 100, 29)]
    [InlineData(0.57, 10_000, 5_700)]
    [InlineData(0.75, 469 * 20, 7_035)] // ⌊7035⌋
    [InlineData(0.75, 10, 7)] // ⌊7.5⌋
    public void RigL_stops_at_the_floor_of_its_fraction_of_the_run_without_losing_a_step_to_rounding(double fraction, long total, long stop)
    {
        var options = new GraNet.Sparsity.SparsityOptions { Method = GraNet.Sparsity.SparsityMethodKind.RigL, RigLStopFraction = fraction, UpdateInterval = 1 };
        var method = GraNet.Sparsity.Methods.SparsityMethodFactory.Create(options, new GraNet.Sparsity.Methods.StepPlan(1, total, 0));
        Assert.Equal(stop, method.Window!.StopStep);
        Assert.True(method.Window.IsUpdateStep(stop));
        Assert.False(method.Window.IsUpdateStep(stop + 1));
    }

    [Fact]
    public void Update_window_excludes_its_start_and_includes_its_stop()
    {
        var window = new UpdateWindow(50, 100, 300);
        Assert.Equal([150, 200, 250, 300], Enumerable.Range(0, 500).Where(t => window.IsUpdateStep(t)).ToArray());
    }

    [Theory]
    [InlineData(0.5, 2.5, 1, 1, 3)] // 0.5 and 2.5 steps: halves go up (to even would give steps 0 and 2)
    [InlineData(0.5, 2.5, 5, 3, 13)] // 2.5 and 12.5 steps (to even: 2 and 12)
    [InlineData(0.4, 2.2, 5, 2, 11)] // whole steps stay where they are
    public void Fractional_pruning_epochs_fall_on_the_nearest_step_with_halves_rounded_up(double start, double end, int stepsPerEpoch, long t0, long tf)
    {
        var options = new GraNet.Sparsity.SparsityOptions { Method = GraNet.Sparsity.SparsityMethodKind.Gmp, PruneStartEpoch = start, PruneEndEpoch = end, UpdateInterval = 1 };
        var plan = new GraNet.Sparsity.Methods.StepPlan(stepsPerEpoch, 4L * stepsPerEpoch, 0);
        var method = GraNet.Sparsity.Methods.SparsityMethodFactory.Create(options, plan);
        Assert.Equal(t0, method.Schedule!.StartStep);
        Assert.Equal(tf, method.Schedule.EndStep);
        Assert.Equal(tf, plan.StepOfEpoch(end));
    }
}
