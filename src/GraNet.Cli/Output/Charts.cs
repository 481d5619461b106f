
namespace GraNet.Cli.Output;

/// <summary>PNG charts drawn with ScottPlot, written atomically.</summary>
public static class Charts
{
    /// <summary>One series of a line chart: label, x, y and optional error bars.</summary>
    /// <param name="Hollow">Markers drawn as larger open circles, so that they do not hide other markers at the same points.</param>
    public sealed record Series(string Label, double[] X, double[] Y, double[]? Error = null, bool MarkersOnly = false, bool Hollow = false);

    /// <summary>Draws a line chart with markers (and error bars where given) and saves it as PNG.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series, int width = 800, int height = 500, IReadOnlyList<(double X, string Label)>? markers = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = new ScottPlot.Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var color = palette.GetColor(i);
            var line = plot.Add.Scatter(s.X, s.Y, color);
            line.LegendText = s.Label;
            line.MarkerSize = s.Hollow ? 12 : s.MarkersOnly ? 7 : s.X.Length > 60 ? 0 : 6;
            if (s.Hollow)
            {
                line.MarkerShape = ScottPlot.MarkerShape.OpenCircle;
            }
            line.LineWidth = s.MarkersOnly ? 0 : 1.5f;
            if (s.Error is { } error)
            {
                var bars = plot.Add.ErrorBar(s.X, s.Y, error);
                bars.Color = color;
            }
        }
        foreach (var (x, label) in markers ?? [])
        {
            var marker = plot.Add.VerticalLine(x);
            marker.LinePattern = ScottPlot.LinePattern.Dashed;
            marker.Color = ScottPlot.Colors.Gray;
            marker.LabelText = label;
        }
        if (series.Count > 1)
        {
            // Beside the data, not over it: inside, the legend hid points (e.g. the lowest cells of a plasticity chart).
            plot.ShowLegend(ScottPlot.Edge.Bottom);
        }
        Save(plot, path, width, height);
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
        plot.SavePng(temporary, width, height);
        File.Move(temporary, full, overwrite: true);
    }
}
