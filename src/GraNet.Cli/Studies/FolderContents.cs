using GraNet.Cli.Output;

namespace GraNet.Cli.Studies;

/// <summary>The kinds of output a folder can hold: each gets a folder of its own.</summary>
public enum FolderOutput
{
    /// <summary>A training run: config.json, metrics, checkpoints.</summary>
    Run,

    /// <summary>A sweep: results.csv and a folder per cell.</summary>
    Sweep,

    /// <summary>A plasticity study: study.json (or seed-N studies), its base run and cells.</summary>
    PlasticityStudy,
}

/// <summary>
/// What a folder already holds of the tool's outputs, so that a command does not write one kind into another's folder
/// (a run's files among a sweep's cells, a sweep's tables beside a run).
/// </summary>
public static class FolderContents
{
    /// <summary>The kind of output the top of <paramref name="path"/> holds, with how it is told (e.g. "a sweep (results.csv)"), or null.</summary>
    public static (FolderOutput Kind, string Text)? Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Directory.Exists(path))
        {
            return null;
        }
        if (File.Exists(Path.Combine(path, "results.csv")))
        {
            return (FolderOutput.Sweep, "a sweep (results.csv)");
        }
        if (File.Exists(Path.Combine(path, SweepRecord.FileName)))
        {
            return (FolderOutput.Sweep, $"a sweep ({SweepRecord.FileName})");
        }
        if (File.Exists(Path.Combine(path, PlasticityStudy.FileName)) || PlasticitySeeds.HoldsSeedStudies(path))
        {
            return (FolderOutput.PlasticityStudy, "a plasticity study");
        }
        // The run's own files, not the claim marker, which default-named sweeps and studies get too.
        var run = new RunFolder(path);
        return run.RunFiles.Where(f => Path.GetFileName(f) != RunFolder.ClaimFileName).Any(File.Exists)
            ? (FolderOutput.Run, "a training run (config.json, checkpoints)") : null;
    }

    /// <summary>Refuses <paramref name="path"/> when it holds another kind of output than <paramref name="own"/>.</summary>
    /// <param name="command">What is to be written, for the message: "sweep", "study", "run".</param>
    public static void RequireNoOther(string path, FolderOutput own, string command)
    {
        if (Of(path) is { } held && held.Kind != own)
        {
            throw new ArgumentException($"{path} holds {held.Text}; give the {command} a folder of its own with --output.");
        }
    }
}
