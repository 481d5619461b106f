using System.Globalization;
using GraNet.Sparsity.Masks;
using Spectre.Console;

namespace GraNet.Cli.Output;

/// <summary>The per-layer density table printed at the end of a run.</summary>
public static class LayerTable
{
    public static void Write(TextWriter output, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            Interactive = InteractionSupport.No,
        });
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn("layer");
        table.AddColumn("shape");
        table.AddColumn(new TableColumn("weights").RightAligned());
        table.AddColumn(new TableColumn("active").RightAligned());
        table.AddColumn(new TableColumn("density").RightAligned());
        foreach (var layer in masks.Layers)
        {
            table.AddRow(
                Markup.Escape(layer.Name),
                string.Join('x', layer.Shape),
                layer.Count.ToString("N0", CultureInfo.InvariantCulture),
                layer.ActiveCount.ToString("N0", CultureInfo.InvariantCulture),
                layer.Density.ToString("0.0000", CultureInfo.InvariantCulture));
        }
        table.AddRow("total", string.Empty, masks.Total.ToString("N0", CultureInfo.InvariantCulture), masks.Active.ToString("N0", CultureInfo.InvariantCulture), masks.Density.ToString("0.0000", CultureInfo.InvariantCulture));
        console.Write(table);
    }
}
