namespace GraNet.Cli.Output;

/// <summary>PNG charts drawn with ScottPlot, written atomically.</summary>
public static class Charts
{
    /// <summary>One series of a line chart: label, x, y and optional error bars.</summary>
    /// <param name="Hollow">Markers drawn as larger open circles, so that they do not hide other markers at the same points.</param>
    /// <param name="Steps">
    /// The value holds from each point until the next one and changes there (a density between mask updates): drawn as
    /// steps (ScottPlot's <c>ConnectStyle.StepHorizontal</c>), with markers at the points themselves, not as slopes between them.
    /// </param>
    public sealed record Series(string Label, double[] X, double[] Y, double[]? Error = null, bool MarkersOnly = false, bool Hollow = false, bool Steps = false);

    /// <summary>A horizontal dashed line across the chart (e.g. the dense model's accuracy), with its legend entry.</summary>
    public sealed record Reference(string Label, double Y);

    /// <summary>A line chart: its titles and series, and how its axes are laid out (automatic where nothing is given).</summary>
    public sealed record LineChart(string Title, string XLabel, string YLabel, IReadOnlyList<Series> Series)
    {
        /// <summary>Fixed x limits, e.g. the range the data cover instead of the whole 0–100 %.</summary>
        public (double Min, double Max)? XRange { get; init; }

        /// <summary>Fixed y limits, e.g. the same for charts that are meant to be compared.</summary>
        public (double Min, double Max)? YRange { get; init; }

        /// <summary>Ticks of the x axis on whole numbers only (epochs).</summary>
        public bool WholeX { get; init; }

        /// <summary>Horizontal reference lines.</summary>
        public IReadOnlyList<Reference> References { get; init; } = [];

        /// <summary>Vertical dashed lines at x, each with its label.</summary>
        public IReadOnlyList<(double X, string Label)> Markers { get; init; } = [];
    }

    /// <summary>Draws a line chart with markers (and error bars where given) and saves it as PNG.</summary>
    public static void Lines(string path, LineChart chart, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(chart);
        Save(Plot(chart), path, width, height);
    }

    /// <summary>The ScottPlot plot of <paramref name="chart"/>, before it is rendered.</summary>
    public static ScottPlot.Plot Plot(LineChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var plot = new ScottPlot.Plot();
        plot.Title(chart.Title);
        plot.XLabel(chart.XLabel);
        plot.YLabel(chart.YLabel);
        var palette = new ScottPlot.Palettes.Category10();
        var series = chart.Series;
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var color = palette.GetColor(i);
            float markerSize = s.Hollow ? 12 : s.MarkersOnly ? 7 : s.X.Length > 60 ? 0 : 6;
            var line = plot.Add.Scatter(s.X, s.Y, color);
            line.LegendText = s.Label;
            line.MarkerSize = markerSize;
            if (s.Hollow)
            {
                line.MarkerShape = ScottPlot.MarkerShape.OpenCircle;
            }
            line.LineWidth = s.MarkersOnly ? 0 : 1.5f;
            if (s.Steps)
            {
                // Each value holds until the next point: ScottPlot draws the horizontal run, then the change; markers stay at the points.
                line.ConnectStyle = ScottPlot.ConnectStyle.StepHorizontal;
            }
            if (s.Error is { } error)
            {
                var bars = plot.Add.ErrorBar(s.X, s.Y, error);
                bars.Color = color;
            }
        }
        for (int i = 0; i < chart.References.Count; i++)
        {
            var reference = plot.Add.HorizontalLine(chart.References[i].Y);
            reference.LinePattern = ScottPlot.LinePattern.Dashed;
            reference.Color = palette.GetColor(series.Count + i);
            reference.LegendText = chart.References[i].Label;
        }
        foreach (var (x, label) in chart.Markers)
        {
            var marker = plot.Add.VerticalLine(x);
            marker.LinePattern = ScottPlot.LinePattern.Dashed;
            marker.Color = ScottPlot.Colors.Gray;
            marker.LabelText = label;
        }
        if (series.Count + chart.References.Count > 1)
        {
            // Beside the data, not over it: inside, the legend hid points (e.g. the lowest cells of a plasticity chart).
            plot.ShowLegend(ScottPlot.Edge.Bottom);
        }
        if (chart.WholeX)
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        }
        if (chart.XRange is { } xRange)
        {
            plot.Axes.SetLimitsX(xRange.Min, xRange.Max);
        }
        if (chart.YRange is { } yRange)
        {
            plot.Axes.SetLimitsY(yRange.Min, yRange.Max);
        }
        return plot;
    }

    /// <summary>Horizontal-free bar chart of one value per category.</summary>
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<(string Label, double Value)> bars, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var plot = new ScottPlot.Plot();
        plot.Title(title);
        plot.YLabel(yLabel);
        var values = bars.Select(b => b.Value).ToArray();
        plot.Add.Bars(values);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, bars.Count).Select(i => (double)i).ToArray(), bars.Select(b => b.Label).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = bars.Count > 6 ? 30 : 0;
        plot.Axes.Bottom.TickLabelStyle.Alignment = bars.Count > 6 ? ScottPlot.Alignment.MiddleLeft : ScottPlot.Alignment.UpperCenter;
        plot.Axes.Margins(bottom: 0);
        Save(plot, path, width, height);
    }

    private static void Save(ScottPlot.Plot plot, string path, int width, int height)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temporary = full + ".tmp.png";
        try
        {
            plot.SavePng(temporary, width, height);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            // A write that failed (a full disk) leaves no half-written chart beside the one it was to replace.
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
