using System.Globalization;

namespace GraNet.Cli.Studies;

/// <summary>
/// One cell of the pruning-plasticity study and what it measured (accuracies in percent).
/// Plasticity = accuracy after continued training − accuracy of the unpruned checkpoint.
/// </summary>
public sealed record PlasticityCell(
    int Epoch,
    double PruneRate,
    string Regeneration,
    double LearningRate,
    double DensityBefore,
    double DensityAfter,
    double AccuracyBefore,
    double AccuracyPruned,
    double AccuracyContinued)
{
    public double Plasticity => AccuracyContinued - AccuracyBefore;

    /// <summary>The control: the checkpoint continued without pruning (rate 0).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsControl => PruneRate == 0;

    /// <summary>The file name of the cell's record, e.g. <c>e10-p0.5-gradient.json</c>.</summary>
    public static string FileName(int epoch, double rate, string regeneration) =>
        string.Create(CultureInfo.InvariantCulture, $"e{epoch}-p{rate:0.###}-{regeneration}.json");
}
