using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Layer-wise magnitude pruning (the <c>-uniform</c> methods): each layer keeps
/// <c>round(d_l · N_l)</c> weights with the largest <c>|w|</c>, at one density <c>d_l = d</c> for all.
/// With the classifier rule (the reference code's), once the overall sparsity reaches 0.8 the last
/// layer keeps density <see cref="ClassifierDensity"/> (more only if the other layers cannot hold the
/// rest) and the other layers share the rest, so that the overall density is still <c>d</c>. A layer never keeps more than it has active (a pruned
/// weight never comes back): a layer that has fewer active weights than its share (a sparse ERK
/// start gives large layers less than <c>d</c>) keeps them all, and the other layers share what it
/// lacks, so the model still keeps <c>d · N</c> in all, up to rounding (each layer's count is rounded on its own, so the
/// total may differ from <c>round(d · N)</c> by a few weights).
/// </summary>
public sealed class LayerwiseMagnitudePruner(bool classifierRule) : IPruner
{
    public const double ClassifierDensity = 0.2;

    public bool ClassifierRule { get; } = classifierRule;

    /// <summary>
    /// The per-layer densities this pruner aims at for overall density <paramref name="density"/>, for layers of
    /// <paramref name="sizes"/> weights of which <paramref name="active"/> are active (all, if null).
    /// </summary>
    public double[] TargetDensities(IReadOnlyList<long> sizes, double density, IReadOnlyList<long>? active = null)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        active ??= sizes;
        var targets = new double[sizes.Count];
        var open = Enumerable.Range(0, sizes.Count).ToList();
        double budget = density * sizes.Sum(); // weights the open layers share
        bool shared = false;
        double? classifier = null; // the last layer's keep under the classifier rule
        if (ClassifierRule && sizes.Count > 1 && 1 - density >= 0.8)
        {
            double last = Math.Min(ClassifierDensity * sizes[^1], active[^1]);
            classifier = last;
            budget -= last;
            open.RemoveAt(sizes.Count - 1);
            shared = true;
        }
        while (true)
        {
            double share = !shared ? density : open.Count == 0 ? 0 : Math.Clamp(budget / open.Sum(l => (double)sizes[l]), 0, 1);
            var capped = open.Where(l => active[l] < MaskedLayer.KeepCount(share, sizes[l])).ToList();
            if (capped.Count == 0)
            {
                open.ForEach(l => targets[l] = share);
                if (classifier is { } keep)
                {
                    // At least ClassifierDensity; more if the other layers cannot hold the rest: none is left open, or the
                    // ones left are kept whole (their share reached 1) and the budget holds more than them.
                    double spare = open.Count == 0 ? budget : share >= 1 ? budget - open.Sum(l => (double)sizes[l]) : 0;
                    targets[^1] = Math.Min(active[^1], keep + Math.Max(0, spare)) / sizes[^1];
                }
                return targets;
            }
            foreach (int l in capped)
            {
                targets[l] = (double)active[l] / sizes[l];
                budget -= active[l];
                open.Remove(l);
            }
            shared = true;
        }
    }

    /// <summary>
    /// Refuses a final density at which the classifier rule would leave the other layers empty
    /// (the last layer at <see cref="ClassifierDensity"/> alone holds more than the whole model may keep).
    /// </summary>
    /// <param name="masks">The run's masks.</param>
    /// <param name="finalDensity">The density pruning ends at.</param>
    /// <param name="finalDensityName">What the caller calls that density in the refusal; null: <c>SparsityOptions.FinalDensity</c>.</param>
    /// <exception cref="ArgumentException">The rule cannot be kept at <paramref name="finalDensity"/>.</exception>
    public void RequireFeasible(MaskSet masks, double finalDensity, string? finalDensityName = null)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var sizes = masks.Layers.Select(l => l.Count).ToList();
        double[] targets = TargetDensities(sizes, finalDensity);
        // A layer the rule empties although plain layer-wise pruning would keep some of it.
        if (Enumerable.Range(0, sizes.Count - 1).Any(l => MaskedLayer.KeepCount(targets[l], sizes[l]) < 1 && MaskedLayer.KeepCount(finalDensity, sizes[l]) >= 1))
        {
            var last = masks.Layers[^1];
            throw new ArgumentException(
                finalDensityName is null
                    ? $"SparsityOptions.ClassifierRule keeps the last layer ({last.Name}, {last.Count} weights) at density {ClassifierDensity}, more than final density {finalDensity} allows the whole model ({Math.Round(finalDensity * sizes.Sum())} of {sizes.Sum()} weights), so the other layers would be emptied; set SparsityOptions.ClassifierRule to false or raise SparsityOptions.FinalDensity."
                    : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The classifier rule of this LayerwiseMagnitudePruner keeps the last layer ({last.Name}, {last.Count} weights) at density {ClassifierDensity}, more than {finalDensityName}, {finalDensity:G6}, allows the whole model ({Math.Round(finalDensity * sizes.Sum())} of {sizes.Sum()} weights), so the other layers would be emptied; make it with classifierRule: false or raise that density."));
        }
    }

    void IPruner.RequireFeasible(MaskSet masks, double finalDensity) => RequireFeasible(masks, finalDensity);

    public void Prune(MaskSet masks, double density)
    {
        ArgumentNullException.ThrowIfNull(masks);
        double[] targets = TargetDensities(masks.Layers.Select(l => l.Count).ToList(), density, masks.Layers.Select(l => l.ActiveCount).ToList());
        using var guard = no_grad();
        for (int l = 0; l < masks.Layers.Count; l++)
        {
            using var scope = NewDisposeScope();
            var layer = masks.Layers[l];
            long keep = Math.Min(layer.ActiveCount, MaskedLayer.KeepCount(targets[l], layer.Count));
            // The selection of global pruning, a layer at a time: in place on the CPU (RadixSelection), else with libtorch.
            var weight = layer.Weight.detach();
            layer.SetMask(RadixSelection.Supports(weight, layer.Mask)
                ? RadixSelection.Select([new RadixSelection.Segment(weight, layer.Mask)], keep, magnitude: true)[0]
                : ExactSelection.Largest(MagnitudeScores.Of(layer), keep));
        }
    }
}
