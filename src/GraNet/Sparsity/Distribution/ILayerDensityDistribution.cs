namespace GraNet.Sparsity.Distribution;

/// <summary>Decides how much density each layer gets for an overall density (spec §1).</summary>
public interface ILayerDensityDistribution
{
    /// <summary>
    /// Per-layer densities <c>d_l</c> with <c>Σ d_l N_l = density · Σ N_l</c> (up to rounding),
    /// every <c>d_l</c> in (0, 1].
    /// </summary>
    /// <param name="shapes">The full weight shape of each layer (conv: out, in, kh, kw; linear: out, in).</param>
    double[] Densities(IReadOnlyList<long[]> shapes, double density);
}
