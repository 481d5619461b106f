using System.Text;
using System.Text.Json;
using GraNet.Sparsity;
using GraNet.Training;

namespace GraNet.Cli.Output;

/// <summary>
/// Keeps <c>mask-updates.jsonl</c>: one line per mask update (step, kind, density, rate, removed,
/// added and moved connections, ever-active share, and the same per layer). Rewritten atomically at each epoch end; on resume
/// the lines up to the checkpoint's step are kept and the re-created initial masks are not logged again (nor, when the file
/// was deleted, logged as if they were the run's: the log then begins after the checkpoint, and the report says so).
/// </summary>
public sealed class MaskUpdateLog
{
    private static readonly JsonSerializerOptions Compact = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly string path;
    private readonly List<string> lines = [];
    private bool skipInitial;

    public MaskUpdateLog(string path, long? resumeStep)
    {
        this.path = path;
        // A resume draws initial masks and then loads the checkpoint's over them: those are not the run's initial masks.
        skipInitial = resumeStep is not null;
        if (resumeStep is { } step && File.Exists(path))
        {
            int number = 0;
            foreach (string line in File.ReadAllLines(path))
            {
                number++;
                long lineStep;
                try
                {
                    using var json = JsonDocument.Parse(line);
                    lineStep = json.RootElement.GetProperty("step").GetInt64();
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    // The log only records the run's mask updates; training does not need it, so the fix is simple.
                    throw new InvalidDataException($"{path}: line {number} is not a mask update written by 'granet train'; delete the file (the run then logs the updates from the checkpoint on) or restore it, and resume again.", e);
                }
                if (lineStep <= step)
                {
                    lines.Add(line);
                }
            }
        }
    }

    public void Add(MaskUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (skipInitial && update.Kind == MaskUpdateKind.Initial)
        {
            skipInitial = false;
            return;
        }
        lines.Add(JsonSerializer.Serialize(
            new
            {
                step = update.Step,
                kind = update.Kind.ToString().ToLowerInvariant(),
                density = Math.Round(update.Density, 6),
                rate = update.Rate is { } r ? Math.Round(r, 6) : (double?)null,
                removed = update.Layers.Sum(l => l.Removed),
                added = update.Layers.Sum(l => l.Added),
                moved = update.Layers.Sum(l => l.Moved),
                everActiveFraction = Math.Round(update.EverActiveFraction, 6),
                layers = update.Layers.Select(l => new { layer = l.Layer, active = l.Active, count = l.Count, removed = l.Removed, added = l.Added, moved = l.Moved }),
            },
            Compact));
    }

    public void Flush()
    {
        var text = new StringBuilder();
        foreach (string line in lines)
        {
            text.AppendLine(line);
        }
        AtomicFile.WriteText(path, text.ToString());
    }
}
