using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Layer-wise magnitude pruning (the <c>-uniform</c> methods): each layer keeps
/// <c>round(d_l · N_l)</c> weights with the largest <c>|w|</c>. With the classifier rule (the
/// reference code's), once the overall sparsity reaches 0.8 the last layer keeps density
/// <see cref="ClassifierDensity"/> and the other layers share the rest, so that the overall
/// density is still <c>d</c>. A layer never keeps more than it has active.
/// </summary>
public sealed class LayerwiseMagnitudePruner(bool classifierRule) : IPruner
{
    public const double ClassifierDensity = 0.2;

    public bool ClassifierRule { get; } = classifierRule;

    /// <summary>The per-layer densities this pruner aims at for overall density <paramref name="density"/>.</summary>
    public double[] TargetDensities(IReadOnlyList<long> sizes, double density)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var targets = Enumerable.Repeat(density, sizes.Count).ToArray();
        if (ClassifierRule && sizes.Count > 1 && 1 - density >= 0.8)
        {
            double total = sizes.Sum();
            double last = sizes[^1];
            targets[^1] = ClassifierDensity;
            double rest = Math.Clamp(((density * total) - (ClassifierDensity * last)) / (total - last), 0, 1);
            for (int l = 0; l < sizes.Count - 1; l++)
            {
                targets[l] = rest;
            }
        }
        return targets;
    }

    /// <summary>
    /// Refuses a final density at which the classifier rule would leave the other layers empty
    /// (the last layer at <see cref="ClassifierDensity"/> alone holds more than the whole model may keep).
    /// </summary>
    /// <exception cref="ArgumentException">The rule cannot be kept at <paramref name="finalDensity"/>.</exception>
    public void RequireFeasible(MaskSet masks, double finalDensity)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var sizes = masks.Layers.Select(l => l.Count).ToList();
        double[] targets = TargetDensities(sizes, finalDensity);
        // A layer the rule empties although plain layer-wise pruning would keep some of it.
        static long Keep(double d, long n) => (long)Math.Round(d * n, MidpointRounding.AwayFromZero);
        if (Enumerable.Range(0, sizes.Count - 1).Any(l => Keep(targets[l], sizes[l]) < 1 && Keep(finalDensity, sizes[l]) >= 1))
        {
            var last = masks.Layers[^1];
            throw new ArgumentException(
                $"SparsityOptions.ClassifierRule keeps the last layer ({last.Name}, {last.Count} weights) at density {ClassifierDensity}, more than final density {finalDensity} allows the whole model ({Math.Round(finalDensity * sizes.Sum())} of {sizes.Sum()} weights), so the other layers would be emptied; set SparsityOptions.ClassifierRule to false or raise SparsityOptions.FinalDensity.");
        }
    }

    public void Prune(MaskSet masks, double density)
    {
        ArgumentNullException.ThrowIfNull(masks);
        double[] targets = TargetDensities(masks.Layers.Select(l => l.Count).ToList(), density);
        using var guard = no_grad();
        for (int l = 0; l < masks.Layers.Count; l++)
        {
            using var scope = NewDisposeScope();
            var layer = masks.Layers[l];
            long keep = Math.Min(layer.ActiveCount, (long)Math.Round(targets[l] * layer.Count, MidpointRounding.AwayFromZero));
            var scores = MagnitudeScores.Of(layer);
            layer.SetMask(ExactSelection.Largest(scores, keep));
        }
    }
}
