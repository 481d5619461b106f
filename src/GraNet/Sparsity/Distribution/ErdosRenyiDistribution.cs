namespace GraNet.Sparsity.Distribution;

/// <summary>
/// Erdős–Rényi (ER) and Erdős–Rényi-Kernel (ERK) densities. Each layer's density is
/// <c>d_l = ε · p_l</c> with <c>p_l = (n_in + n_out) / (n_in · n_out)</c> (ER) or
/// <c>p_l = sum(shape) / prod(shape)</c> (ERK), and one scale ε solves
/// <c>Σ_l d_l N_l = d · Σ_l N_l</c>. While some <c>ε p_l &gt; 1</c>, the layer with the largest
/// <c>p_l</c> is made dense and ε is solved again over the others.
/// </summary>
public sealed class ErdosRenyiDistribution(bool kernel) : ILayerDensityDistribution
{
    /// <summary>True for ERK, false for ER.</summary>
    public bool Kernel { get; } = kernel;

    public double[] Densities(IReadOnlyList<long[]> shapes, double density)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        int count = shapes.Count;
        double[] size = shapes.Select(s => (double)s.Aggregate(1L, (a, b) => a * b)).ToArray();
        double[] raw = shapes.Select(Raw).ToArray();
        var dense = new bool[count];
        double total = size.Sum();
        while (true)
        {
            double keptByDense = 0;
            double divisor = 0;
            for (int l = 0; l < count; l++)
            {
                if (dense[l])
                {
                    keptByDense += size[l];
                }
                else
                {
                    divisor += raw[l] * size[l];
                }
            }
            if (divisor == 0)
            {
                return Enumerable.Repeat(1.0, count).ToArray();
            }
            double epsilon = ((density * total) - keptByDense) / divisor;
            int worst = -1;
            for (int l = 0; l < count; l++)
            {
                if (!dense[l] && epsilon * raw[l] > 1 && (worst < 0 || raw[l] > raw[worst]))
                {
                    worst = l;
                }
            }
            if (worst < 0)
            {
                return Enumerable.Range(0, count).Select(l => dense[l] ? 1.0 : epsilon * raw[l]).ToArray();
            }
            dense[worst] = true;
        }
    }

    private double Raw(long[] shape)
    {
        if (Kernel || shape.Length < 2)
        {
            return (double)shape.Sum() / shape.Aggregate(1L, (a, b) => a * b);
        }
        double nOut = shape[0];
        double nIn = shape[1];
        return (nIn + nOut) / (nIn * nOut);
    }
}
