using System.Globalization;
using System.Text;
using System.Text.Json;
using GraNet.Training;

namespace GraNet.Cli.Output;

/// <summary>The files of one run: config.json, metrics.jsonl, summary.json and the checkpoints. All written atomically.</summary>
public sealed class RunFolder(string path)
{
    private static readonly JsonSerializerOptions Compact = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private static readonly JsonSerializerOptions Indented = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    public string Path { get; } = path;

    public string ConfigFile => System.IO.Path.Combine(Path, "config.json");

    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.jsonl");

    public string MaskUpdatesFile => System.IO.Path.Combine(Path, "mask-updates.jsonl");

    public string SummaryFile => System.IO.Path.Combine(Path, "summary.json");

    public string LastCheckpoint => System.IO.Path.Combine(Path, "last.ckpt");

    public string BestCheckpoint => System.IO.Path.Combine(Path, "best.ckpt");

    /// <summary>A new folder under <c>runs/</c> named after model, data set, method and time.</summary>
    public static string DefaultPath(string model, string dataset, string method) =>
        System.IO.Path.Combine("runs", $"{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{model}-{dataset}-{method}");

    /// <summary>Rewrites metrics.jsonl with one line per epoch (accuracies in percent).</summary>
    public void WriteMetrics(IReadOnlyList<EpochMetrics> history)
    {
        var text = new StringBuilder();
        foreach (var m in history)
        {
            var line = new Dictionary<string, object?>
            {
                ["epoch"] = m.Epoch,
                ["trainLoss"] = Math.Round(m.TrainLoss, 6),
                ["trainAccuracy"] = Percent(m.TrainAccuracy),
                ["validationAccuracy"] = m.ValidationAccuracy is { } v ? Percent(v) : null,
                ["learningRate"] = m.LearningRate,
                ["seconds"] = Math.Round(m.Seconds, 3),
                ["imagesPerSecond"] = Math.Round(m.ImagesPerSecond, 1),
                ["dataWaitSeconds"] = Math.Round(m.DataWaitSeconds, 3),
            };
            foreach (var (key, value) in m.Scalars)
            {
                line[key] = value;
            }
            text.AppendLine(JsonSerializer.Serialize(line, Compact));
        }
        AtomicFile.WriteText(MetricsFile, text.ToString());
    }

    /// <summary>Writes summary.json.</summary>
    public void WriteSummary(IReadOnlyDictionary<string, object?> summary) =>
        AtomicFile.WriteText(SummaryFile, JsonSerializer.Serialize(summary, Indented));

    public static double Percent(double fraction) => Math.Round(fraction * 100, 2);
}
