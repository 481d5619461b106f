using System.Text.Json;
using GraNet.Training;

namespace GraNet.Cli.Studies;

/// <summary>
/// The command of the sweep in a folder, kept in its <c>sweep.json</c> from the start (before any cell finishes): it marks
/// the folder as a sweep's, and <c>granet sweep --report-only --output DIR</c> tabulates the folder with it.
/// </summary>
/// <param name="Arguments">The sweep's arguments after <c>sweep</c>, without <c>--output</c> and <c>--report-only</c>.</param>
public sealed record SweepRecord(IReadOnlyList<string> Arguments)
{
    public const string FileName = "sweep.json";

    /// <summary>Options whose value is a path: recorded in full, so that the record reads the same from any folder.</summary>
    private static readonly string[] PathOptions = ["--config", "--data-dir", "--tensorboard"];

    /// <summary>
    /// The arguments of <paramref name="tokens"/> (a sweep command's, after <c>sweep</c>, as the parser split them) that
    /// make its grid and cells: all but the folder and <c>--report-only</c>, paths made full.
    /// </summary>
    public static SweepRecord Of(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var kept = new List<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] is "--output" or "-o")
            {
                i++; // and its value
            }
            else if (tokens[i] == "--report-only")
            {
                i += i + 1 < tokens.Count && tokens[i + 1] is "true" or "false" ? 1 : 0; // and a value given to it
            }
            else if (PathOptions.Contains(tokens[i]) && i + 1 < tokens.Count)
            {
                kept.Add(tokens[i]);
                kept.Add(Path.GetFullPath(tokens[++i]));
            }
            else
            {
                kept.Add(tokens[i]);
            }
        }
        return new SweepRecord(kept);
    }

    /// <summary>
    /// The arguments to tabulate the folder with on this machine: the recorded ones (the tables' "Reproduce with" line
    /// repeats them), with a <c>--threads</c> above <paramref name="cores"/> lowered to it, since a report trains nothing.
    /// </summary>
    public IReadOnlyList<string> ForReport(int cores)
    {
        var kept = Arguments.ToList();
        for (int i = 0; i + 1 < kept.Count; i++)
        {
            if (kept[i] == "--threads" && int.TryParse(kept[i + 1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int threads) && threads > cores)
            {
                kept[i + 1] = cores.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return kept;
    }

    /// <summary>The sweep.json of <paramref name="folder"/>, or null if it has none (a sweep made before it was written).</summary>
    /// <exception cref="InvalidDataException">The file is not one that <c>granet sweep</c> wrote.</exception>
    public static SweepRecord? Read(string folder)
    {
        string file = Path.Combine(folder, FileName);
        const string Fix = "delete it and tabulate with the sweep's own options (results.md's 'Reproduce with' line) and --report-only, or rerun that command";
        return RecordFile.Read<SweepRecord>(file, "granet sweep", Fix) switch
        {
            null => null,
            { Arguments: { } arguments } record when arguments.All(a => a is not null) => record,
            _ => throw new InvalidDataException($"{file}: not a sweep.json written by 'granet sweep' (no arguments); {Fix}."),
        };
    }

    /// <summary>The command that continues the sweep in <paramref name="folder"/>: <c>granet sweep ARGUMENTS --output FOLDER</c>.</summary>
    public string CommandLine(string folder) => "granet sweep " + Join([.. Arguments, "--output", folder]);

    /// <summary>Arguments as a command line for a POSIX shell: each quoted as <see cref="GraNet.IO.ShellQuoting.Quote"/> does.</summary>
    public static string Join(IEnumerable<string> arguments) => GraNet.IO.ShellQuoting.Join(arguments);

    public void Write(string folder) => AtomicFile.WriteText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, RecordFile.Json));
}
