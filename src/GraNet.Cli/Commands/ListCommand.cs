using System.CommandLine;
using GraNet.Data;
using GraNet.Models;
using GraNet.Training;

namespace GraNet.Cli.Commands;

/// <summary><c>granet list</c>: models, data sets and presets.</summary>
public static class ListCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("list", "List the models, data sets and presets.");
        command.SetAction(_ =>
        {
            output.WriteLine("models:");
            foreach (var m in ModelRegistry.All)
            {
                output.WriteLine($"  {m.Name,-16} {m.Description}");
            }
            output.WriteLine("data sets:");
            foreach (var d in DatasetCatalog.All)
            {
                output.WriteLine($"  {d.Name,-16} {d.Shape} images, {d.Classes} classes");
            }
            output.WriteLine("presets:");
            foreach (var (name, description) in TrainingPresets.All)
            {
                output.WriteLine($"  {name,-16} {description}");
            }
            return 0;
        });
        return command;
    }
}
