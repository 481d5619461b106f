using System.Globalization;

namespace GraNet.Cli.Studies;

/// <summary>
/// One cell of the pruning-plasticity study and what it measured (accuracies in percent).
/// Plasticity = accuracy after continued training − accuracy of the unpruned checkpoint.
/// </summary>
public sealed record PlasticityCell(
    int Epoch,
    double PruneRate,
    RegenerationMode Regeneration,
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

    /// <summary>How a cell's record is written (<c>cells/e10-p0.5-gradient.json</c>): the mode by its name (<c>none</c>, <c>gradient</c>), never a number.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        RespectRequiredConstructorParameters = true, // a record lacking a field is not read as a measurement of 0 (or as mode none)
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    /// <summary>The cell's record, as <see cref="Read"/> reads it.</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// Reads the record of the cell (<paramref name="epoch"/>, <paramref name="rate"/>, <paramref name="regeneration"/>)
    /// from <paramref name="file"/>, refusing one that is not JSON, is of another cell, or holds a density outside [0, 1]
    /// or an accuracy outside [0, 100]: a damaged record would otherwise enter the tables as a measurement.
    /// </summary>
    /// <exception cref="InvalidDataException">Naming the file and the fix (delete it: the cell is measured again).</exception>
    public static PlasticityCell Read(string file, int epoch, double rate, RegenerationMode regeneration)
    {
        ArgumentNullException.ThrowIfNull(file);
        string fix = "delete it to measure the cell again";
        PlasticityCell? cell;
        try
        {
            cell = System.Text.Json.JsonSerializer.Deserialize<PlasticityCell>(File.ReadAllText(file), Json);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{file}: not a cell record written by 'granet plasticity' ({e.Message.Split(" Path:")[0].TrimEnd('.')}); {fix}.", e);
        }
        string? wrong = cell switch
        {
            null => "it is empty",
            _ when cell.Epoch != epoch || cell.PruneRate != rate || cell.Regeneration != regeneration =>
                string.Create(CultureInfo.InvariantCulture, $"it records epoch {cell.Epoch}, rate {cell.PruneRate}, regeneration '{EnumNames.Of(cell.Regeneration)}', not epoch {epoch}, rate {rate}, {EnumNames.Of(regeneration)}"),
            _ when !(cell.LearningRate > 0) || !double.IsFinite(cell.LearningRate) => string.Create(CultureInfo.InvariantCulture, $"its learning rate {cell.LearningRate} is not positive"),
            _ when new[] { cell.DensityBefore, cell.DensityAfter }.Any(d => !(d >= 0 && d <= 1)) => "a density is outside [0, 1]",
            _ when new[] { cell.AccuracyBefore, cell.AccuracyPruned, cell.AccuracyContinued }.Any(a => !(a >= 0 && a <= 100)) => "an accuracy is outside [0, 100] %",
            _ => null,
        };
        return wrong is null ? cell! : throw new InvalidDataException($"{file}: not the record of this cell ({wrong}); {fix}.");
    }

    /// <summary>The file name of the cell's record, e.g. <c>e10-p0.5-gradient.json</c>.</summary>
    public static string FileName(int epoch, double rate, RegenerationMode regeneration) =>
        string.Create(CultureInfo.InvariantCulture, $"e{epoch}-p{rate:0.###}-{EnumNames.Of(regeneration)}.json");
}
