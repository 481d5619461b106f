using System.Text.Json;

namespace GraNet.Cli.Studies;

/// <summary>The small JSON files a study keeps in its folder (study.json, sweep.json): read whole, or refused naming the file and the fix.</summary>
internal static class RecordFile
{
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    /// <summary>The record in <paramref name="file"/>, or null when there is no such file.</summary>
    /// <param name="writer">The command that writes it, for the message, e.g. <c>granet sweep</c>.</param>
    /// <param name="fix">What to do about a damaged one.</param>
    /// <exception cref="InvalidDataException">The file is not JSON of the record's form, or empty.</exception>
    public static T? Read<T>(string file, string writer, string fix) where T : class
    {
        if (!File.Exists(file))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(file), Json) ?? throw new InvalidDataException($"{file}: empty; {fix}.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: not a {Path.GetFileName(file)} written by '{writer}' ({e.Message.Split(" Path:")[0].TrimEnd('.')}); {fix}.", e);
        }
    }
}
