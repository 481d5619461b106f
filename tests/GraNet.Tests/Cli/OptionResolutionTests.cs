using System.CommandLine;
using GraNet.Cli.Commands;
using GraNet.Cli.Configuration;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>An option given on the command line wins over a <c>--config</c> file's value and over what <c>--epochs</c> would derive.</summary>
public class OptionResolutionTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-option-resolution");

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>The configuration <c>granet train</c> would run with (nothing is trained); <paramref name="json"/>, if given, is its <c>--config</c> file.</summary>
    private RunConfiguration Resolve(string? json, params string[] args)
    {
        string[] config = [];
        if (json is not null)
        {
            string file = Path.Combine(root, "settings.json");
            File.WriteAllText(file, json);
            config = ["--config", file];
        }
        var options = new TrainOptions();
        var command = new Command("train");
        options.AddTo(command);
        return options.Resolve(command.Parse([.. config, "--output", Path.Combine(root, "run"), .. args]), refuseUnused: true).Configuration;
    }

    [Fact]
    public void Data_dir_given_on_the_command_line_wins_over_the_files()
    {
        string fromFile = Directory.CreateDirectory(Path.Combine(root, "file-data")).FullName;
        string fromFlag = Directory.CreateDirectory(Path.Combine(root, "flag-data")).FullName;
        string json = $$"""{ "dataDir": "{{fromFile}}" }""";
        Assert.Equal(fromFile, Resolve(json).DataDir);
        Assert.Equal(fromFlag, Resolve(json, "--data-dir", fromFlag).DataDir);
    }

    [Fact]
    public void Epochs_do_not_scale_milestones_given_with_them()
    {
        // P1: 20 epochs, milestones 10 and 15. --epochs 40 alone doubles them to 20 and 30; with --milestones 5,30 those are kept as given.
        Assert.Equal([20, 30], Resolve(null, "--preset", "p1", "--epochs", "40").Training.Milestones);
        Assert.Equal([5, 30], Resolve(null, "--preset", "p1", "--epochs", "40", "--milestones", "5,30").Training.Milestones);
        // The same with a --config file's 10 epochs and milestones 4, 8: --epochs 20 alone gives 8, 16; --milestones 3 stays 3.
        const string Json = """{ "training": { "epochs": 10, "milestones": [4, 8] } }""";
        Assert.Equal([8, 16], Resolve(Json, "--epochs", "20").Training.Milestones);
        Assert.Equal([3], Resolve(Json, "--epochs", "20", "--milestones", "3").Training.Milestones);
    }
}
