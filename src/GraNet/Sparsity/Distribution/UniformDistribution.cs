namespace GraNet.Sparsity.Distribution;

/// <summary>Every layer gets the overall density.</summary>
public sealed class UniformDistribution : ILayerDensityDistribution
{
    public double[] Densities(IReadOnlyList<long[]> shapes, double density)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        return shapes.Select(_ => density).ToArray();
    }
}
