using System.Globalization;
using System.Text.Json;

namespace GraNet.Cli.Output;

/// <summary>
/// A JSON object read back from a run's files (a line of <c>metrics.jsonl</c> or <c>mask-updates.jsonl</c>, or the whole
/// of <c>summary.json</c>) whose fields are checked as they are read: a line that is not JSON, or a field that is missing
/// or of the wrong kind, is an <see cref="InvalidDataException"/> naming the file, the line, the field and the fix,
/// never a <see cref="KeyNotFoundException"/> or a NaN in a report.
/// </summary>
public sealed class RunRecord
{
    private readonly JsonElement element;
    private readonly string fix;

    private RunRecord(JsonElement element, string where, string fix, int? line = null)
    {
        this.element = element;
        Where = where;
        this.fix = fix;
        Line = line;
    }

    /// <summary>Where the record is, for messages: <c>metrics.jsonl line 5</c>, <c>summary.json</c>, <c>summary.json, "layers" item 2</c>.</summary>
    public string Where { get; }

    /// <summary>The line of a JSON-lines file the record was read from (counting from 1, blank lines included), or null.</summary>
    public int? Line { get; }

    /// <summary>
    /// The non-blank lines of a JSON-lines file, each a JSON object. <paramref name="fix"/> ends every message about the
    /// file (e.g. <c>fix or delete the line, or train the run again</c>; without a full stop).
    /// </summary>
    public static IReadOnlyList<RunRecord> ReadLines(string path, string fix)
    {
        ArgumentNullException.ThrowIfNull(path);
        var records = new List<RunRecord>();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            string where = string.Create(CultureInfo.InvariantCulture, $"{path} line {number}");
            records.Add(new RunRecord(Parse(line, where, fix, wholeFile: false), where, fix, number));
        }
        return records;
    }

    /// <summary>A whole JSON file holding one object.</summary>
    public static RunRecord ReadObject(string path, string fix)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new RunRecord(Parse(File.ReadAllText(path), path, fix, wholeFile: true), path, fix);
    }

    /// <summary>Parses one JSON object; for a whole file, the message keeps System.Text.Json's line and byte position (within a line of a JSON-lines file it is no help).</summary>
    private static JsonElement Parse(string text, string where, string fix, bool wholeFile)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(wholeFile
                ? $"{where}: damaged JSON ({Runner.OneLine(e.Message)}); {fix}."
                : $"{where} is not valid JSON (cut short, or not written by 'granet train'); {fix}.", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{where} is {Kind(root.ValueKind)}, not a JSON object; {fix}.");
        }
        return root;
    }

    /// <summary>A field that must be a finite number.</summary>
    public double Number(string key) => OptionalNumber(key) ?? throw Absent(key, "a number");

    /// <summary>A field that may be missing or null, and is otherwise a finite number.</summary>
    public double? OptionalNumber(string key)
    {
        if (!element.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double number) && double.IsFinite(number)
            ? number
            : throw Wrong(key, "a number", value);
    }

    /// <summary>A field that must be a finite number in [<paramref name="minimum"/>, <paramref name="maximum"/>] (an accuracy in percent, a share).</summary>
    public double Number(string key, double minimum, double maximum)
    {
        double number = Number(key);
        return number >= minimum && number <= maximum
            ? number
            : throw Wrong(key, string.Create(CultureInfo.InvariantCulture, $"a number from {minimum} to {maximum}"), element.GetProperty(key));
    }

    /// <summary>A field that must be a whole number no less than <paramref name="minimum"/>.</summary>
    public long Whole(string key, long minimum)
    {
        string kind = string.Create(CultureInfo.InvariantCulture, $"a whole number from {minimum}");
        if (!element.TryGetProperty(key, out var value))
        {
            throw Absent(key, kind);
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) && number >= minimum
            ? number
            : throw Wrong(key, kind, value);
    }

    /// <summary>A field that must be a string.</summary>
    public string Text(string key) => OptionalText(key) ?? throw Absent(key, "a string");

    /// <summary>A field that may be missing or null, and is otherwise a string.</summary>
    public string? OptionalText(string key)
    {
        if (!element.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Wrong(key, "a string", value);
    }

    /// <summary>A field that must be one of <paramref name="allowed"/>, or null when missing or null.</summary>
    public string? OptionalChoice(string key, IReadOnlyList<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        string kind = Choices(allowed);
        if (!element.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String && allowed.Contains(value.GetString()!) ? value.GetString()! : throw Wrong(key, kind, value);
    }

    /// <summary>A field that must be one of <paramref name="allowed"/>.</summary>
    public string Choice(string key, IReadOnlyList<string> allowed) => OptionalChoice(key, allowed) ?? throw Absent(key, Choices(allowed));

    /// <summary>A field that may be missing or null, and is otherwise an array of objects.</summary>
    public IReadOnlyList<RunRecord>? OptionalObjects(string key)
    {
        if (!element.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Wrong(key, "an array of objects", value);
        }
        var items = new List<RunRecord>();
        foreach (var item in value.EnumerateArray())
        {
            string where = string.Create(CultureInfo.InvariantCulture, $"{Where}, \"{key}\" item {items.Count + 1}");
            items.Add(item.ValueKind == JsonValueKind.Object ? new RunRecord(item, where, fix) : throw new InvalidDataException($"{where} is {Kind(item.ValueKind)}, not an object; {fix}."));
        }
        return items;
    }

    /// <summary>An error about this record: <c>WHERE: PROBLEM; FIX.</c></summary>
    public InvalidDataException Error(string problem) => new($"{Where}: {problem}; {fix}.");

    /// <summary>The error for a required field that is missing or null.</summary>
    private InvalidDataException Absent(string key, string kind) =>
        element.TryGetProperty(key, out var value) ? Wrong(key, kind, value) : Error($"\"{key}\" is missing (it must be {kind})");

    private InvalidDataException Wrong(string key, string kind, JsonElement value) =>
        Error($"\"{key}\" must be {kind}, not {(value.ValueKind is JsonValueKind.String or JsonValueKind.Number ? Shorten(value.GetRawText()) : Kind(value.ValueKind))}");

    private static string Choices(IReadOnlyList<string> allowed) =>
        allowed.Count == 1 ? $"\"{allowed[0]}\"" : string.Join(", ", allowed.Take(allowed.Count - 1).Select(a => $"\"{a}\"")) + $" or \"{allowed[^1]}\"";

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true/false",
        _ => "null",
    };
}
