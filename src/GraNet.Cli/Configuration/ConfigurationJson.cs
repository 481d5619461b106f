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
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        IgnoreReadOnlyProperties = true,
    };

    public static string Serialize(RunConfiguration configuration) => JsonSerializer.Serialize(configuration, Options);

    /// <summary>Parses a configuration; unknown keys are errors that name the file.</summary>
    public static RunConfiguration Deserialize(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<RunConfiguration>(json, Options)
                ?? throw new InvalidDataException($"{source}: empty configuration.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: {Describe(e)}; fix the file (keys as in a run's config.json).", e);
        }
    }

    /// <summary>
    /// What is wrong, in the file's terms: the key and the kind of value it takes (<c>training.learningRate must be a
    /// number</c>), not System.Text.Json's .NET type and byte position, which for a <c>--config</c> file point into the
    /// configuration it was merged with.
    /// </summary>
    internal static string Describe(JsonException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string key = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : e.Path ?? "(the top level)";
        var converted = ConvertedTo().Match(e.Message);
        if (converted.Success)
        {
            return $"{key} must be {Kind(converted.Groups[1].Value)}";
        }
        if (e.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return $"{key} is not a configuration key";
        }
        // Other messages (an unknown key, broken syntax) end with a position that is not this file's: keep the first sentence.
        string first = e.Message.Split(" Path: ", 2)[0].Split(" LineNumber: ", 2)[0].TrimEnd('.', ' ', '|');
        return e.Path is null ? first : $"{first} (at {key})";
    }

    /// <summary>What a value of the .NET type <paramref name="type"/> (as a message names it) is, in words: "a number", "one of: sgd, adam".</summary>
    internal static string Kind(string type)
    {
        var nullable = NullableOf().Match(type);
        string inner = nullable.Success ? nullable.Groups[1].Value : type;
        var enumType = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(inner)).FirstOrDefault(t => t is { IsEnum: true });
        if (enumType is not null)
        {
            return "one of: " + string.Join(", ", EnumNames.All(enumType));
        }
        return inner switch
        {
            "System.Double" or "System.Single" => "a number",
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Boolean" => "true or false",
            "System.String" => "a string",
            _ when inner.Contains("List", StringComparison.Ordinal) || inner.EndsWith("[]", StringComparison.Ordinal) => "a list",
            _ => "a value of another kind",
        };
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"could not be converted to ([^\s]+?)\.? Path:")]
    private static partial System.Text.RegularExpressions.Regex ConvertedTo();

    [System.Text.RegularExpressions.GeneratedRegex(@"^System\.Nullable`1\[(.+)\]$")]
    private static partial System.Text.RegularExpressions.Regex NullableOf();

    /// <summary>Whether the <c>--config</c> file <paramref name="overlayFile"/> sets the top-level key <paramref name="key"/> (e.g. <c>threads</c>).</summary>
    public static bool Sets(string overlayFile, string key)
    {
        ArgumentNullException.ThrowIfNull(overlayFile);
        try
        {
            return JsonNode.Parse(File.ReadAllText(overlayFile)) is JsonObject o && o.ContainsKey(key);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return false; // Overlay has already refused such a file, naming it.
        }
    }

    /// <summary>Applies the keys present in <paramref name="overlayFile"/> on top of <paramref name="baseline"/>.</summary>
    public static RunConfiguration Overlay(RunConfiguration baseline, string overlayFile)
    {
        if (!File.Exists(overlayFile))
        {
            throw new FileNotFoundException($"{overlayFile}: configuration file not found; give the path of a JSON file (e.g. a run's config.json).", overlayFile);
        }
        JsonNode? overlay;
        try
        {
            overlay = JsonNode.Parse(File.ReadAllText(overlayFile));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{overlayFile}: not valid JSON ({e.Message}).", e);
        }
        if (overlay is not JsonObject overlayObject)
        {
            throw new InvalidDataException($"{overlayFile}: the configuration must be a JSON object.");
        }
        var merged = JsonNode.Parse(Serialize(baseline))!.AsObject();
        Merge(merged, overlayObject);
        return Deserialize(merged.ToJsonString(), overlayFile);
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
