using GraNet.Cli.Output;
using Xunit;

namespace GraNet.Tests.Cli;

public class ChartsTests
{
    private static double[] Xs(ScottPlot.Plottables.Scatter scatter) => scatter.Data.GetScatterPoints().Select(p => p.X).ToArray();

    private static double[] Ys(ScottPlot.Plottables.Scatter scatter) => scatter.Data.GetScatterPoints().Select(p => p.Y).ToArray();

    [Fact]
    public void A_step_series_holds_each_value_until_the_next_point_with_markers_at_its_points()
    {
        // A density of 1 until step 100, 0.5 until step 200, then 0.2: one scatter through the points measured, joined
        // horizontally first (the value holds), then vertically (the change at the update).
        var plot = Charts.Plot(new Charts.LineChart("t", "step", "density", [new Charts.Series("density", [0, 100, 200], [1, 0.5, 0.2], Steps: true)]));
        var line = Assert.Single(plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>());
        Assert.Equal("density", line.LegendText);
        Assert.Equal(ScottPlot.ConnectStyle.StepHorizontal, line.ConnectStyle);
        Assert.Equal([0, 100, 200], Xs(line));
        Assert.Equal([1, 0.5, 0.2], Ys(line));
        Assert.True(line.MarkerSize > 0);
        Assert.True(line.LineWidth > 0);
        var plain = Assert.Single(Charts.Plot(new Charts.LineChart("t", "step", "density", [new Charts.Series("density", [0, 100], [1, 0.5])])).GetPlottables().OfType<ScottPlot.Plottables.Scatter>());
        Assert.Equal(ScottPlot.ConnectStyle.Straight, plain.ConnectStyle);
    }

    [Fact]
    public void Fixed_ranges_are_kept_when_the_chart_is_drawn()
    {
        var plot = Charts.Plot(new Charts.LineChart("t", "x", "y", [new Charts.Series("a", [1, 2, 3], [0.5, 0.2, 0.1])]) { XRange = (0, 4), YRange = (-1, 2.5) });
        plot.RenderInMemory(800, 500);
        var limits = plot.Axes.GetLimits();
        Assert.Equal((0.0, 4.0, -1.0, 2.5), (limits.Left, limits.Right, limits.Bottom, limits.Top));
    }

    [Fact]
    public void Whole_x_ticks_fall_on_whole_numbers_only()
    {
        var series = new Charts.Series("train", [1, 2], [0.49, 0.34]);
        var automatic = Charts.Plot(new Charts.LineChart("t", "epoch", "loss", [series]));
        automatic.RenderInMemory(800, 500);
        // What ScottPlot chooses on its own for two epochs: fractions of an epoch between them.
        Assert.Contains(automatic.Axes.Bottom.TickGenerator.Ticks, t => t.IsMajor && t.Position != Math.Round(t.Position));

        var whole = Charts.Plot(new Charts.LineChart("t", "epoch", "loss", [series]) { WholeX = true });
        whole.RenderInMemory(800, 500);
        var ticks = whole.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor && t.Position >= 1 && t.Position <= 2).Select(t => t.Position).ToArray();
        Assert.Equal([1.0, 2.0], ticks);
        Assert.All(whole.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor), t => Assert.Equal(Math.Round(t.Position), t.Position));
    }

    [Fact]
    public void A_reference_line_has_a_legend_entry_and_is_kept_in_view()
    {
        var chart = new Charts.LineChart("t", "sparsity (%)", "accuracy (%)", [new Charts.Series("rigl", [95, 98], [84.6, 83.3])]) { References = [new Charts.Reference("dense", 86.5)] };
        var plot = Charts.Plot(chart);
        var line = Assert.Single(plot.GetPlottables().OfType<ScottPlot.Plottables.HorizontalLine>());
        Assert.Equal(("dense", 86.5), (line.LegendText, line.Y));
        plot.RenderInMemory(800, 500);
        Assert.True(plot.Axes.GetLimits().Top > 86.5);
    }
}
