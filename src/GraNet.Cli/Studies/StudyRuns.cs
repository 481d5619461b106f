using System.Text.Json;

namespace GraNet.Cli.Studies;

/// <summary>Where a plasticity study's training runs are, for messages that send a user from the study's folder to one of them.</summary>
public static class StudyRuns
{
    /// <summary>
    /// The run folders of the study in <paramref name="study"/>: its <c>base</c>, or each seed's <c>seed-N/base</c>, that
    /// hold a run (config.json); for a study continued from another run (<c>--from</c>, recorded in study.json), that run's
    /// folder if it is still there. Empty if none is found.
    /// </summary>
    public static IReadOnlyList<string> Of(string study)
    {
        ArgumentNullException.ThrowIfNull(study);
        if (!Directory.Exists(study))
        {
            return [];
        }
        static bool IsRun(string folder) => File.Exists(Path.Combine(folder, "config.json"));
        var own = new[] { Path.Combine(study, "base") }
            .Concat(Directory.EnumerateDirectories(study, "seed-*").Order(StringComparer.Ordinal).Select(seed => Path.Combine(seed, "base")))
            .Where(IsRun).ToList();
        if (own.Count > 0)
        {
            return own;
        }
        return From(study) is { } from && IsRun(from) ? [from] : [];
    }

    /// <summary>Up to two of the study's run folders, then how many more; or where its runs would be when none is there.</summary>
    public static string Named(string study)
    {
        var runs = Of(study);
        return runs.Count == 0
            ? "none is there: a study continued with --from keeps none, and one of its own has not trained its base yet"
            : string.Join(", ", runs.Take(2)) + (runs.Count > 2 ? $" and {runs.Count - 2} more" : string.Empty);
    }

    /// <summary>The run a study continued (study.json's <c>from</c>), or null (a study of its own base, or no readable record).</summary>
    private static string? From(string study)
    {
        try
        {
            using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(study, PlasticityStudy.FileName)));
            return record.RootElement.TryGetProperty("from", out var from) && from.ValueKind == JsonValueKind.String ? from.GetString() : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
