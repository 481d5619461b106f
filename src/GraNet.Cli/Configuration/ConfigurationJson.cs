using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace GraNet.Cli.Configuration;

/// <summary>Reads and writes <see cref="RunConfiguration"/> as JSON, and layers a partial JSON file over a configuration.</summary>
public static partial class ConfigurationJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // Enums by name only: a number (3) would pick whichever value has it, or a value that does not exist.
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        IgnoreReadOnlyProperties = true,
        // null only where a setting gives it a meaning (dataDir, augment, growth, …): "training": null is refused by key.
        RespectNullableAnnotations = true,
    };

    public static string Serialize(RunConfiguration configuration) => JsonSerializer.Serialize(configuration, Options);

    /// <summary>The most a configuration file is read for: a run's config.json is about a kilobyte.</summary>
    private const int MaxBytes = 1 << 20;

    /// <summary>
    /// The text of a configuration file (any encoding its byte order mark names, UTF-8 without one), read up to a mebibyte:
    /// a larger file is no configuration, and a device such as /dev/zero never ends (reading it whole ran out of memory).
    /// </summary>
    /// <param name="fix">What to do about a larger file (default: give the path of a configuration file, as for <c>--config</c>).</param>
    /// <exception cref="InvalidDataException">The file holds more than that; the message names it.</exception>
    public static string ReadText(string path, string? fix = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var buffer = new byte[MaxBytes + 1];
        int length;
        using (var stream = File.OpenRead(path))
        {
            length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        if (length > MaxBytes)
        {
            throw new InvalidDataException($"{path}: holds more than 1 MiB, which no configuration does (a run's config.json is about 1 kB); {fix ?? "give the path of a JSON configuration file (e.g. a run's config.json)"}.");
        }
        using var reader = new StreamReader(new MemoryStream(buffer, 0, length), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Parses a configuration; anything that is not one (broken syntax, a key given twice, an unknown key, a value of the
    /// wrong kind or null where a setting needs a value) is an <see cref="InvalidDataException"/> that names the file and the key.
    /// </summary>
    public static RunConfiguration Deserialize(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Convert(Parse(json, source), source);
    }

    private static RunConfiguration Convert(JsonObject document, string source)
    {
        try
        {
            return document.Deserialize<RunConfiguration>(Options) ?? throw Refusal(source, "the configuration is empty");
        }
        catch (JsonException e)
        {
            throw Refusal(source, Describe(e, document), e);
        }
    }

    private static InvalidDataException Refusal(string source, string what, Exception? inner = null) =>
        new($"{source}: {what}; fix the file (keys as in a run's config.json).", inner);

    /// <summary>
    /// The JSON object in <paramref name="json"/>, or an <see cref="InvalidDataException"/> naming <paramref name="source"/>:
    /// broken syntax (by line and column), a document that is not an object, a key given twice in one object (which
    /// would silently win or lose), a number too large for any setting (<c>1e400</c>, which would be read as infinity).
    /// </summary>
    internal static JsonObject Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (string.IsNullOrWhiteSpace(json))
        {
            throw Refusal(source, "the file is empty (a configuration is a JSON object such as { \"training\": { \"epochs\": 5 } })");
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Refusal(source, $"the configuration must be a JSON object such as {{ \"training\": {{ \"epochs\": 5 }} }}, not {KindOf(root.ValueKind)}");
            }
            Check(root, string.Empty, source);
        }
        catch (JsonException e)
        {
            throw Refusal(source, $"not valid JSON at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {Syntax(e.Message)}", e);
        }
        return JsonNode.Parse(json)!.AsObject();
    }

    /// <summary>Refuses a key given twice in one object and a number no setting can hold.</summary>
    private static void Check(JsonElement element, string path, string source)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    string key = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (!seen.Add(property.Name))
                    {
                        throw Refusal(source, $"{key} is given twice (keep one)");
                    }
                    Check(property.Value, key, source);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Check(item, path, source);
                }
                break;
            case JsonValueKind.Number when !(element.TryGetDouble(out double value) && double.IsFinite(value)):
                throw Refusal(source, $"{path} {element.GetRawText()} is too large a number");
        }
    }

    private static string KindOf(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true or false",
        JsonValueKind.Null => "null",
        _ => "an object",
    };

    /// <summary>A syntax error in words, without System.Text.Json's byte position (given as line and column instead) or its advice on reader options.</summary>
    private static string Syntax(string message)
    {
        string text = message.Split(" LineNumber: ", 2)[0].Trim();
        if (text.StartsWith("Expected depth to be zero", StringComparison.Ordinal))
        {
            return "the file ends before a '}' or ']' closes an object or list";
        }
        if (text.Contains("trailing comma", StringComparison.Ordinal))
        {
            return "a comma before '}' or ']' has no value after it";
        }
        if (text.StartsWith("'/'", StringComparison.Ordinal))
        {
            return "JSON has no comments";
        }
        return text.TrimEnd('.');
    }

    /// <summary>
    /// What is wrong, in the file's terms: the key, the value given and the kind of value it takes (<c>training.learningRate
    /// "x" must be a number</c>), not System.Text.Json's .NET type and byte position, which for a <c>--config</c> file point
    /// into the configuration it was merged with. <paramref name="document"/>, if given, is where the value is looked up.
    /// </summary>
    internal static string Describe(JsonException e, JsonNode? document = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        string key = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : e.Path ?? "(the top level)";
        var value = document is not null && e.Path is not null ? At(document, e.Path) : null;
        string given = value is null ? string.Empty : " " + Show(value.Value.Node);
        if (e.Message.Contains("doesn't allow setting null values", StringComparison.Ordinal))
        {
            return $"{key} must not be null (leave the key out for its default)";
        }
        var converted = ConvertedTo().Match(e.Message);
        if (converted.Success)
        {
            string kind = Kind(converted.Groups[1].Value);
            if (kind == "a whole number" && value?.Node is JsonValue number && number.GetValueKind() == JsonValueKind.Number
                && double.TryParse(number.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Floor(d))
            {
                kind = string.Create(CultureInfo.InvariantCulture, $"a whole number from {int.MinValue} to {int.MaxValue}");
            }
            return $"{key}{given} must be {kind}";
        }
        if (e.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return $"{key} is not a configuration key{KeyHint(key)}";
        }
        // Other messages end with a position that is not this file's: keep the first sentence.
        string first = e.Message.Split(" Path: ", 2)[0].Split(" LineNumber: ", 2)[0].TrimEnd('.', ' ', '|');
        return e.Path is null ? first : $"{first} (at {key})";
    }

    /// <summary>The node at a path such as <c>$.training.milestones[0]</c> (which may be a JSON null), or null if there is none.</summary>
    private static (JsonNode? Node, bool Found)? At(JsonNode document, string path)
    {
        JsonNode? node = document;
        foreach (var part in PathPart().Matches(path).Select(m => m.Value))
        {
            if (part.StartsWith('[') && node is JsonArray array && int.TryParse(part[1..^1], NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < array.Count)
            {
                node = array[index];
            }
            else if (node is JsonObject o && o.TryGetPropertyValue(part, out var child))
            {
                node = child;
            }
            else
            {
                return null;
            }
        }
        return (node, true);
    }

    /// <summary>A value as the file gives it, shortened: <c>"RigL"</c>, <c>1e10</c>, <c>[]</c>.</summary>
    private static string Show(JsonNode? node)
    {
        string text = node?.ToJsonString() ?? "null";
        return text.Length <= 40 ? text : text[..37] + "...";
    }

    /// <summary>For an unknown key: the key meant, when its name is one of another place or in other case; else the keys its object takes.</summary>
    private static string KeyHint(string key)
    {
        int dot = key.LastIndexOf('.');
        string section = dot < 0 ? string.Empty : key[..dot];
        string name = key[(dot + 1)..];
        var meant = KnownKeys.FirstOrDefault(k => k.Split('.')[^1].Equals(name, StringComparison.OrdinalIgnoreCase));
        if (meant is not null)
        {
            return $" (did you mean {meant}?)";
        }
        var siblings = KnownKeys.Where(k => k.LastIndexOf('.') is int d && (d < 0 ? string.Empty : k[..d]) == section).Select(k => k.Split('.')[^1]).ToList();
        return siblings.Count == 0 ? string.Empty : $" ({(section.Length == 0 ? "the top-level keys" : $"the keys of {section}")}: {string.Join(", ", siblings)})";
    }

    /// <summary>Every key of config.json, dotted (<c>model</c>, <c>training</c>, <c>training.epochs</c>, …).</summary>
    private static readonly IReadOnlyList<string> KnownKeys = Keys(JsonNode.Parse(Serialize(new RunConfiguration()))!.AsObject(), leavesOnly: false).ToList();

    /// <summary>The dotted keys in <paramref name="document"/>: of every setting (a list is one setting), and with <paramref name="leavesOnly"/> false of the objects too.</summary>
    internal static IEnumerable<string> Keys(JsonObject document, bool leavesOnly = true, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(document);
        foreach (var (name, value) in document)
        {
            string key = prefix + name;
            if (value is JsonObject child)
            {
                if (!leavesOnly)
                {
                    yield return key;
                }
                foreach (string inner in Keys(child, leavesOnly, key + "."))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return key;
            }
        }
    }

    /// <summary>What a value of the .NET type <paramref name="type"/> (as a message names it) is, in words: "a number", "one of: sgd, adam".</summary>
    internal static string Kind(string type)
    {
        var nullable = NullableOf().Match(type);
        string inner = nullable.Success ? nullable.Groups[1].Value : type;
        var known = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(inner)).FirstOrDefault(t => t is not null);
        if (known is { IsEnum: true })
        {
            return "one of: " + string.Join(", ", EnumNames.All(known));
        }
        return inner switch
        {
            "System.Double" or "System.Single" => "a number",
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Boolean" => "true or false",
            "System.String" => "a string",
            _ when inner.Contains("List", StringComparison.Ordinal) || inner.EndsWith("[]", StringComparison.Ordinal) => "a list",
            _ when known is { IsClass: true } => "an object ({ \"key\": value, … })",
            _ => "a value of another kind",
        };
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"could not be converted to ([^\s]+?)\.? Path:")]
    private static partial System.Text.RegularExpressions.Regex ConvertedTo();

    [System.Text.RegularExpressions.GeneratedRegex(@"^System\.Nullable`1\[(.+)\]$")]
    private static partial System.Text.RegularExpressions.Regex NullableOf();

    [System.Text.RegularExpressions.GeneratedRegex(@"\[\d+\]|(?<=\$\.|\.)[^.\[]+")]
    private static partial System.Text.RegularExpressions.Regex PathPart();

    /// <summary>Whether the <c>--config</c> file <paramref name="overlayFile"/> sets the top-level key <paramref name="key"/> (e.g. <c>threads</c>).</summary>
    public static bool Sets(string overlayFile, string key)
    {
        ArgumentNullException.ThrowIfNull(overlayFile);
        try
        {
            return JsonNode.Parse(ReadText(overlayFile)) is JsonObject o && o.ContainsKey(key);
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidDataException)
        {
            return false; // Overlay has already refused such a file, naming it.
        }
    }

    /// <summary>Applies the keys present in <paramref name="overlayFile"/> on top of <paramref name="baseline"/>; also returns those keys, dotted (<c>training.epochs</c>; a list is one key).</summary>
    public static (RunConfiguration Configuration, IReadOnlySet<string> Keys) Overlay(RunConfiguration baseline, string overlayFile)
    {
        if (!File.Exists(overlayFile))
        {
            throw new FileNotFoundException(Directory.Exists(overlayFile)
                ? $"--config {overlayFile} is a folder; give the path of a JSON file (e.g. {Path.Combine(overlayFile, "config.json")})."
                : $"{overlayFile}: configuration file not found; give the path of a JSON file (e.g. a run's config.json).", overlayFile);
        }
        var overlay = Parse(ReadText(overlayFile), overlayFile);
        var merged = JsonNode.Parse(Serialize(baseline))!.AsObject();
        Merge(merged, overlay);
        return (Convert(merged, overlayFile), Keys(overlay).ToHashSet(StringComparer.Ordinal));
    }

    private static void Merge(JsonObject target, JsonObject overlay)
    {
        foreach (var (key, value) in overlay)
        {
            if (value is JsonObject child && target[key] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }
}
