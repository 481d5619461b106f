using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace GraNet.Cli.Configuration;

/// <summary>Reads and writes <see cref="RunConfiguration"/> as JSON, and layers a partial JSON file over a configuration.</summary>
public static class ConfigurationJson
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
            throw new InvalidDataException($"{source}: {e.Message} Fix the file (keys as in a run's config.json).", e);
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
