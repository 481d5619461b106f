using System.Globalization;
using GraNet.Cli.Commands;
using GraNet.Sparsity;

namespace GraNet.Cli.Studies;

/// <summary>One run of a sweep: a method at a final density (and initial density, for the pruning methods) with one seed.</summary>
public sealed record SweepCell(SparsityMethodKind Method, double FinalDensity, double InitDensity, int Seed)
{
    /// <summary>The row label in tables: the method, with its initial density where it has one.</summary>
    public string Label => HasInitDensity ? $"{TrainOptions.MethodName(Method)} (d_i={Format(InitDensity)})" : TrainOptions.MethodName(Method);

    /// <summary>Whether the initial density is a free choice of this method (granet, granet-uniform).</summary>
    public bool HasInitDensity => Method is SparsityMethodKind.GraNet or SparsityMethodKind.GraNetUniform;

    /// <summary>The cell's folder name, e.g. <c>granet-d0.05-i0.5-s17</c>, <c>rigl-d0.05-s17</c>, <c>dense-s17</c>.</summary>
    public string FolderName => $"{Group}-s{Seed}";

    /// <summary>The folder name without the seed, naming the cell's group of seeds, e.g. <c>granet-d0.05-i0.5</c>, <c>dense</c>.</summary>
    public string Group
    {
        get
        {
            string name = TrainOptions.MethodName(Method);
            if (Method != SparsityMethodKind.Dense)
            {
                name += $"-d{Format(FinalDensity)}";
            }
            if (HasInitDensity)
            {
                name += $"-i{Format(InitDensity)}";
            }
            return name;
        }
    }

    /// <summary>
    /// A density as folder names and labels give it: the shortest text that reads back as the same value (<c>0.05</c>,
    /// <c>1</c>, <c>0.0002</c>), so that two densities never share a folder and a name never rounds its density away.
    /// </summary>
    public static string Format(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        // Below 1e-4 "R" writes an exponent (1E-05): a folder name reads better as 0.00001.
        return text.Contains('E', StringComparison.Ordinal) ? decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) : text;
    }
}
