using GraNet.Cli.Output;
using GraNet.Cli.Studies;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>What the charts of <c>granet report</c> draw, checked on the plots before they are rendered.</summary>
public class ReportChartTests
{
    /// <summary>
    /// Half the weights active at step 0; pruned to 0.4 at step 100 and regenerated there, which activates a tenth of the
    /// weights for the first time (ever active 0.5 to 0.6); pruned to 0.2 at step 200.
    /// </summary>
    private static readonly ReportCommand.Update[] Updates =
    [
        new(0, "initial", 0.5, 0.5), new(100, "prune", 0.4, 0.5), new(100, "regenerate", 0.4, 0.6), new(200, "prune", 0.2, 0.6),
    ];

    private static ScottPlot.Plottables.Scatter Line(Charts.LineChart chart, string label) =>
        Charts.Plot(chart).GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Single(s => s.LegendText == label);

    [Fact]
    public void The_density_holds_between_mask_updates_and_is_drawn_as_steps()
    {
        var chart = ReportCommand.DensityChart(Updates);
        var density = Line(chart, "density");
        // 0.5 until step 100, 0.4 from there (pruning and regeneration both at step 100) until step 200, then 0.2: the
        // updates' points, joined horizontally first (the value holds), then vertically (the change at the update).
        Assert.Equal([0, 100, 100, 200], density.Data.GetScatterPoints().Select(p => p.X).ToArray());
        Assert.Equal([0.5, 0.4, 0.4, 0.2], density.Data.GetScatterPoints().Select(p => p.Y).ToArray());
        Assert.Equal(ScottPlot.ConnectStyle.StepHorizontal, density.ConnectStyle);
        // The events stay markers at the points of the updates.
        Assert.Equal([100, 200], Line(chart, "pruning events").Data.GetScatterPoints().Select(p => p.X).ToArray());
        Assert.Equal([100], Line(chart, "regeneration events").Data.GetScatterPoints().Select(p => p.X).ToArray());
    }

    [Fact]
    public void The_ever_active_share_is_drawn_as_steps_too()
    {
        var everActive = Line(ReportCommand.EverActiveChart(Updates), "ever active");
        Assert.Equal([0, 100, 100, 200], everActive.Data.GetScatterPoints().Select(p => p.X).ToArray());
        Assert.Equal([0.5, 0.5, 0.6, 0.6], everActive.Data.GetScatterPoints().Select(p => p.Y).ToArray());
        Assert.Equal(ScottPlot.ConnectStyle.StepHorizontal, everActive.ConnectStyle);
    }

    [Fact]
    public void The_training_flops_line_says_it_is_a_ratio_of_what_was_spent_so_far()
    {
        // 0.42 of dense after epoch 1 and 0.27 after epoch 2: the ratio falls as the sparse epochs add up; the FLOPs spent only grow.
        var chart = ReportCommand.FlopsChart([new(1, 0.5, 82, null, 0.42, 0.05), new(2, 0.3, 87, null, 0.27, 0.05)]);
        Assert.Equal(["training so far, relative to dense training so far", "inference (current masks)"], chart.Series.Select(s => s.Label).ToArray());
        Assert.Equal([0.42, 0.27], chart.Series[0].Y);
        Assert.Equal([0.05, 0.05], chart.Series[1].Y);
    }

    [Fact]
    public void Epoch_axes_tick_whole_epochs_only()
    {
        ReportCommand.Epoch[] epochs = [new(1, 0.49, 82.15, 86.37, 0.41, 0.05), new(2, 0.34, 87.44, 86.87, 0.23, 0.05)];
        foreach (var chart in new[] { ReportCommand.LossChart(epochs), ReportCommand.AccuracyChart(epochs), ReportCommand.FlopsChart(epochs) })
        {
            var plot = Charts.Plot(chart);
            plot.RenderInMemory(800, 500);
            // Two epochs: ticks at 1 and 2, none at 1.05, 1.1, … between them (which an automatic axis puts there).
            var major = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Position).ToArray();
            Assert.Equal([1.0, 2.0], major.Where(p => p >= 1 && p <= 2).ToArray());
            Assert.All(major, p => Assert.Equal(Math.Round(p), p));
        }
    }

    [Fact]
    public void A_chart_that_cannot_be_put_in_place_leaves_no_temporary_file()
    {
        string folder = TestFiles.TempFolder("granet-chart");
        try
        {
            // The chart's name is taken by a folder: the PNG is drawn, then cannot replace it.
            string target = Directory.CreateDirectory(Path.Combine(folder, "bars.png")).FullName;
            Assert.ThrowsAny<IOException>(() => Charts.Bars(target, "t", "y", [("a", 1.0), ("b", 2.0)]));
            Assert.Equal([target], Directory.GetFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
