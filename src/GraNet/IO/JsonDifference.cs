using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GraNet.IO;

/// <summary>One setting in which two JSON documents differ: its dotted key (e.g. <c>training.learningRate</c>) and both values as text.</summary>
public sealed record JsonDifference(string Key, string Saved, string Current)
{
    /// <summary>
    /// The first setting whose values differ, or null. Compared by meaning, not text: objects key
    /// by key whatever their order or formatting, numbers by value (<c>0.1</c> is <c>1e-1</c>),
    /// arrays element by element. A key that only one side has is not compared (another version
    /// wrote it, and the other side takes its default), nor is a top-level key in <paramref name="ignore"/>.
    /// </summary>
    public static JsonDifference? First(JsonNode? saved, JsonNode? current, IReadOnlySet<string>? ignore = null) =>
        First(saved, current, string.Empty, ignore ?? new HashSet<string>());

    private static JsonDifference? First(JsonNode? saved, JsonNode? current, string path, IReadOnlySet<string> ignore)
    {
        if (saved is JsonObject a && current is JsonObject b)
        {
            foreach (var (key, value) in a)
            {
                if ((path.Length == 0 && ignore.Contains(key)) || !b.TryGetPropertyValue(key, out var other))
                {
                    continue;
                }
                if (First(value, other, path.Length == 0 ? key : $"{path}.{key}", ignore) is { } difference)
                {
                    return difference;
                }
            }
            return null;
        }
        if (saved is JsonArray x && current is JsonArray y && x.Count == y.Count)
        {
            for (int i = 0; i < x.Count; i++)
            {
                if (First(x[i], y[i], path, ignore) is not null)
                {
                    return new JsonDifference(path, Show(saved), Show(current));
                }
            }
            return null;
        }
        return SameValue(saved, current) ? null : new JsonDifference(path, Show(saved), Show(current));
    }

    private static bool SameValue(JsonNode? a, JsonNode? b)
    {
        if (a is JsonValue x && b is JsonValue y && x.GetValueKind() == JsonValueKind.Number && y.GetValueKind() == JsonValueKind.Number)
        {
            return decimal.TryParse(x.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var m)
                && decimal.TryParse(y.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                ? m == n
                : x.ToJsonString() == y.ToJsonString();
        }
        return JsonNode.DeepEquals(a, b);
    }

    private static string Show(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(),
    };
}
