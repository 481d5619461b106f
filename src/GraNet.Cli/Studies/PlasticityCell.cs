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
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    /// <summary>The fields of a record, as <see cref="ToJson"/> names them; all are required (a record lacking one is not read as a measurement of 0, or as mode none).</summary>
    private static readonly string[] Fields = ["epoch", "pruneRate", "regeneration", "learningRate", "densityBefore", "densityAfter", "accuracyBefore", "accuracyPruned", "accuracyContinued"];

    /// <summary>The cell's record, as <see cref="Read"/> reads it.</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// Reads the record of the cell (<paramref name="epoch"/>, <paramref name="rate"/>, <paramref name="regeneration"/>)
    /// from <paramref name="file"/>, refusing one that is not JSON, lacks a field or holds one of the wrong kind (named by
    /// its field), is of another cell, or holds a density outside [0, 1] or an accuracy outside [0, 100]: a damaged
    /// record would otherwise enter the tables as a measurement.
    /// </summary>
    /// <exception cref="InvalidDataException">Naming the file, what is wrong and the fix (delete it: the cell is measured again).</exception>
    public static PlasticityCell Read(string file, int epoch, double rate, RegenerationMode regeneration)
    {
        ArgumentNullException.ThrowIfNull(file);
        string fix = "delete it to measure the cell again";
        PlasticityCell? cell;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
            cell = document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Null ? null : FromJson(document.RootElement);
        }
        catch (System.Text.Json.JsonException e)
        {
            // The reader's own words (where the text stops being JSON), which name no .NET type.
            string where = e.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $" at line {line + 1}") : string.Empty;
            throw new InvalidDataException($"{file}: not a cell record written by 'granet plasticity' (not JSON{where}: {e.Message.Split(" LineNumber:")[0].Split(" Path:")[0].TrimEnd('.')}); {fix}.", e);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{file}: not a cell record written by 'granet plasticity' ({e.Message}); {fix}.", e);
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

    /// <summary>The cell a record's JSON object holds; a <see cref="FormatException"/> names the field that is missing, repeated or of the wrong kind.</summary>
    private static PlasticityCell FromJson(System.Text.Json.JsonElement root)
    {
        if (root.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            throw new FormatException($"it holds {Shown(root)}, not an object of the cell's fields");
        }
        var given = new Dictionary<string, System.Text.Json.JsonElement>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!given.TryAdd(property.Name, property.Value))
            {
                throw new FormatException($"field '{property.Name}' is given more than once");
            }
        }
        var missing = Fields.Where(f => !given.ContainsKey(f)).ToList();
        if (missing.Count > 0)
        {
            throw new FormatException(missing.Count == 1 ? $"field '{missing[0]}' is missing" : $"fields {string.Join(", ", missing.Select(f => $"'{f}'"))} are missing");
        }
        double Number(string field) => given[field] is { ValueKind: System.Text.Json.JsonValueKind.Number } value && value.TryGetDouble(out double number) && double.IsFinite(number)
            ? number
            : throw new FormatException($"field '{field}' is {Shown(given[field])}, not a finite number");
        int epochValue = given["epoch"] is { ValueKind: System.Text.Json.JsonValueKind.Number } e && e.TryGetInt32(out int whole)
            ? whole
            : throw new FormatException($"field 'epoch' is {Shown(given["epoch"])}, not a whole number");
        var modes = Enum.GetValues<RegenerationMode>();
        string? name = given["regeneration"].ValueKind == System.Text.Json.JsonValueKind.String ? given["regeneration"].GetString() : null;
        var mode = modes.Where(x => EnumNames.Of(x) == name).Select(x => (RegenerationMode?)x).FirstOrDefault()
            ?? throw new FormatException($"field 'regeneration' is {Shown(given["regeneration"])}, not {string.Join(" or ", modes.Select(x => $"\"{EnumNames.Of(x)}\""))}");
        return new PlasticityCell(epochValue, Number("pruneRate"), mode, Number("learningRate"), Number("densityBefore"), Number("densityAfter"),
            Number("accuracyBefore"), Number("accuracyPruned"), Number("accuracyContinued"));
    }

    /// <summary>A JSON value for a message: its text if short and not an object or array, else its kind ("an array", "an object", "a long string").</summary>
    private static string Shown(System.Text.Json.JsonElement value) => value.ValueKind switch
    {
        System.Text.Json.JsonValueKind.Array => "an array",
        System.Text.Json.JsonValueKind.Object => "an object",
        _ when value.GetRawText().Length > 40 => value.ValueKind == System.Text.Json.JsonValueKind.String ? "a long string" : "a long number",
        _ => value.GetRawText(),
    };

    /// <summary>A pruning rate in percent as the summaries show it, e.g. <c>50</c> or <c>12.34</c>: as many digits as the rate has (so that two rates of one study never share a column), without float noise (0.9 · 100 is 90).</summary>
    public static string Percent(double rate) => (rate * 100).ToString("G12", CultureInfo.InvariantCulture);

    /// <summary>The file name of the cell's record, e.g. <c>e10-p0.5-gradient.json</c>: the rate in its shortest round-trip
    /// form, so that two rates of one study never share a record.</summary>
    public static string FileName(int epoch, double rate, RegenerationMode regeneration) =>
        string.Create(CultureInfo.InvariantCulture, $"e{epoch}-p{rate:R}-{EnumNames.Of(regeneration)}.json");
}
