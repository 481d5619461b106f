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

    [Fact]
    public void Update_window_excludes_its_start_and_includes_its_stop()
    {
        var window = new UpdateWindow(50, 100, 300);
        Assert.Equal([150, 200, 250, 300], Enumerable.Range(0, 500).Where(t => window.IsUpdateStep(t)).ToArray());
    }
}
