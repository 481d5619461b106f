using CsCheck;
using GraNet.Sparsity.Distribution;
using Xunit;

namespace GraNet.Tests.Properties;

/// <summary>Spec §1: the layer densities of the uniform, ER and ERK distributions.</summary>
public class DistributionProperties
{
    /// <summary>1 to 6 layers: linear (out, in) or convolutions (out, in, k, k), some small enough to be capped by ER/ERK.</summary>
    private static readonly Gen<long[][]> Shapes = Gen.OneOf(
            Gen.Select(Gen.Long[1, 300], Gen.Long[1, 300], (o, i) => new[] { o, i }),
            Gen.Select(Gen.Long[1, 48], Gen.Long[1, 48], Gen.OneOf(1L, 3L, 5L), (o, i, k) => new[] { o, i, k, k }))
        .Array[1, 6];

    private static readonly Gen<(long[][] Shapes, double Density, int Kind)> Inputs =
        Gen.Select(Shapes, Gen.Double[0.001, 1.0], Gen.Int[0, 2]);

    private static ILayerDensityDistribution Of(int kind) => kind switch
    {
        0 => new UniformDistribution(),
        1 => new ErdosRenyiDistribution(kernel: false),
        _ => new ErdosRenyiDistribution(kernel: true),
    };

    private static double Size(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The spec's p_l, computed here from its definition: ER (n_in + n_out)/(n_in · n_out), ERK Σ shape / Π shape.</summary>
    private static double P(long[] shape, bool kernel) =>
        kernel ? shape.Sum() / Size(shape) : (double)(shape[0] + shape[1]) / (shape[0] * shape[1]);

    [Fact]
    public void Every_layer_density_lies_in_0_1_and_they_keep_the_overall_density() =>
        Property.ForAll(Inputs, input =>
        {
            var (shapes, density, kind) = input;
            double[] d = Of(kind).Densities(shapes, density);
            Assert.Equal(shapes.Length, d.Length);
            Assert.All(d, x => Assert.True(x > 0 && x <= 1, $"layer density {x} outside (0, 1]"));
            double total = shapes.Sum(Size);
            double kept = d.Select((x, l) => x * Size(shapes[l])).Sum();
            // Σ d_l N_l = d Σ N_l, up to floating-point rounding.
            Assert.True(Math.Abs(kept - (density * total)) <= 1e-9 * total, $"Σ d_l N_l = {kept}, d N = {density * total}");
        }, iterations: 300);

    [Fact]
    public void Er_and_erk_are_proportional_to_p_below_1_and_cap_only_the_layers_of_largest_p() =>
        Property.ForAll(Inputs.Where(i => i.Kind > 0), input =>
        {
            var (shapes, density, kind) = input;
            bool kernel = kind == 2;
            double[] d = Of(kind).Densities(shapes, density);
            double[] p = shapes.Select(s => P(s, kernel)).ToArray();
            int[] open = Enumerable.Range(0, d.Length).Where(l => d[l] < 1).ToArray();
            int[] capped = Enumerable.Range(0, d.Length).Where(l => d[l] >= 1).ToArray();
            Assert.All(capped, l => Assert.Equal(1.0, d[l])); // a capped layer is exactly dense
            if (open.Length == 0)
            {
                return;
            }
            // One ε for all open layers: d_l = ε p_l.
            double epsilon = d[open[0]] / p[open[0]];
            Assert.All(open, l => Assert.True(Math.Abs(d[l] - (epsilon * p[l])) <= 1e-9 * d[l], $"layer {l}: d = {d[l]}, ε p = {epsilon * p[l]}"));
            // Capped layers are the ones of largest p, and each was needed: ε p_l reaches 1 (a layer with ε p_l < 1 stays open).
            double largestOpen = open.Max(l => p[l]);
            Assert.All(capped, l => Assert.True(p[l] >= largestOpen, $"layer {l} (p {p[l]}) capped while an open layer has p {largestOpen}"));
            Assert.All(capped, l => Assert.True(epsilon * p[l] >= 1 - 1e-9, $"layer {l} capped although ε p = {epsilon * p[l]} < 1"));
        }, iterations: 300);
}
