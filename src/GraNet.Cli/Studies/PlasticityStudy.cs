using System.Globalization;
using System.Text.Json;
using GraNet.Training;

namespace GraNet.Cli.Studies;

/// <summary>
/// The settings of a plasticity study that its cells depend on but the base run's config.json does not hold, kept in
/// the study folder's <c>study.json</c> so that a rerun with other settings cannot pass old cells off as its own.
/// </summary>
/// <param name="From">The full path of the <c>--from</c> run, or null when the study trained its own base run.</param>
/// <param name="ContinueEpochs">Epochs of continued training after pruning.</param>
public sealed record PlasticityStudy(string? From, int ContinueEpochs)
{
    public const string FileName = "study.json";

    /// <summary>The study.json of <paramref name="folder"/>, or null if it has none.</summary>
    public static PlasticityStudy? Read(string folder)
    {
        string file = Path.Combine(folder, FileName);
        // Deleting study.json keeps the base run and the measured cells; the command then records its own settings, which
        // must be the study's, or cells of two settings mix.
        const string Fix = "delete study.json and rerun the study's own command (its base run and measured cells are kept), or choose another --output";
        var study = RecordFile.Read<PlasticityStudy>(file, "granet plasticity", Fix);
        return study switch
        {
            null => null,
            { ContinueEpochs: < 1 } => throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{file}: not a study.json written by 'granet plasticity' (continueEpochs {study.ContinueEpochs}); {Fix}.")),
            _ => study,
        };
    }

    public void Write(string folder) => AtomicFile.WriteText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, RecordFile.Json));

    /// <summary>Refuses (one line) to continue the study in <paramref name="folder"/>, measured as this, with the settings of <paramref name="current"/>.</summary>
    public void RequireSame(string folder, PlasticityStudy current)
    {
        ArgumentNullException.ThrowIfNull(current);
        string? difference =
            From != current.From ? $"--from {From ?? "(none: its own base run)"}, but this command gives {current.From ?? "none"}"
            : ContinueEpochs != current.ContinueEpochs ? string.Create(CultureInfo.InvariantCulture, $"--continue-epochs {ContinueEpochs}, but this command gives {current.ContinueEpochs}")
            : null;
        if (difference is not null)
        {
            throw new ArgumentException($"{folder} was measured with {difference}; rerun with the original options, or choose another --output.");
        }
    }
}
