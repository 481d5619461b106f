using System.Globalization;
using GraNet.Sparsity;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Distribution;
using GraNet.Sparsity.Masks;
using GraNet.Sparsity.Schedules;
using GraNet.Training.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// Differential tests: the library's selections against brute-force references written from docs/algorithm.md (a plain
/// sort with the stated tie-break), on seeded random inputs that stress ties, signed zeros, subnormals, huge magnitudes,
/// single entries, empty and full masks, k = 0 and k = n. Each property runs a fixed number of cases from fixed seeds; a
/// failure names the case's seed and prints the library's output next to the reference's.
/// </summary>
public class DifferentialCriteriaTests
{
    private const float Subnormal = 1e-40f;

    private static readonly float[] EdgePool =
    [
        0f, -0f, 1f, -1f, 0.5f, -0.5f, float.Epsilon, -float.Epsilon, Subnormal, -Subnormal, 2 * Subnormal,
        1.17549435e-38f, float.MaxValue, -float.MaxValue, 1e30f, -1e30f, 1e-30f, 3f, -3f, 1e-7f,
    ];

    // ---------------------------------------------------------------- generators

    /// <summary>Finite values of one of several styles: all equal, few distinct, edge values, signed zeros, Gaussian, near-equal bit patterns.</summary>
    private static float[] Values(Random rng, int n)
    {
        var v = new float[n];
        int style = rng.Next(8);
        int baseBits = rng.Next(2) == 0 ? 0x3F800000 : 0x00000000;
        float constant = EdgePool[rng.Next(EdgePool.Length)];
        float[] small = [.. Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => EdgePool[rng.Next(EdgePool.Length)])];
        for (int i = 0; i < n; i++)
        {
            v[i] = style switch
            {
                0 => constant, // all equal
                1 => small[rng.Next(small.Length)], // many exact ties
                2 => EdgePool[rng.Next(EdgePool.Length)], // edge values
                3 => (float)Math.Round(Gaussian(rng) * 2) / 2, // rounded: ties and signed zeros
                4 => (float)Gaussian(rng),
                5 => rng.Next(4) switch { 0 => 0f, 1 => -0f, 2 => 1f, _ => -1f }, // mostly signed zeros
                6 => BitConverter.Int32BitsToSingle((baseBits + rng.Next(0, 3 * 65536)) | (rng.Next(2) == 0 ? int.MinValue : 0)),
                _ => rng.Next(3) == 0 ? EdgePool[rng.Next(EdgePool.Length)] : (float)Gaussian(rng),
            };
        }
        return v;
    }

    /// <summary>One random case's layers, drawn from <paramref name="rng"/> in this order: their shapes, each layer's weights from <paramref name="values"/> (given the layer's size), each layer's mask.</summary>
    private static ((int Out, int In)[] Shapes, float[][] Weights, bool[][] Masks) Layers(Random rng, Func<int, float[]> values)
    {
        var shapes = Shapes(rng);
        var weights = shapes.Select(s => values(s.Out * s.In)).ToArray();
        var masks = shapes.Select(s => MaskOf(rng, s.Out * s.In)).ToArray();
        return (shapes, weights, masks);
    }

    /// <summary>Values an SGD step or a gradient keeps finite: no magnitude of 1e30 or more.</summary>
    private static float[] ModerateValues(Random rng, int n, float replacement) =>
        [.. Values(rng, n).Select(v => Math.Abs(v) < 1e30f ? v : replacement)];

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static bool[] MaskOf(Random rng, int n)
    {
        int style = rng.Next(6);
        var m = new bool[n];
        int one = rng.Next(n);
        for (int i = 0; i < n; i++)
        {
            m[i] = style switch
            {
                0 => true,
                1 => false,
                2 => i == one,
                3 => rng.NextDouble() < 0.1,
                _ => rng.NextDouble() < 0.5,
            };
        }
        return m;
    }

    private static (int Out, int In)[] Shapes(Random rng)
    {
        int layers = 1 + rng.Next(4);
        int[] dims = [1, 1, 2, 3, 5, 8, 17, 30];
        return [.. Enumerable.Range(0, layers).Select(_ => (dims[rng.Next(dims.Length)], dims[rng.Next(dims.Length)]))];
    }

    private static double Density(Random rng, long total) => rng.Next(8) switch
    {
        0 => 0,
        1 => 1,
        2 => 1.0 / total,
        3 => 0.5 / total, // d·N = 0.5 (or just off it): rounds to 1 or 0
        4 => 0.5,
        5 => 1e-9,
        _ => rng.NextDouble(),
    };

    // ---------------------------------------------------------------- helpers

    /// <summary>Bias-free linear layers l0, l1, ... with the given weights.</summary>
    private static Sequential Model((int Out, int In)[] shapes, float[][] weights)
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int l = 0; l < shapes.Length; l++)
        {
            var fc = nn.Linear(shapes[l].In, shapes[l].Out, hasBias: false);
            using (no_grad())
            using (var t = tensor(weights[l]).reshape(shapes[l].Out, shapes[l].In))
            {
                fc.weight!.copy_(t);
            }
            modules.Add(("l" + l, fc));
        }
        return nn.Sequential(modules.ToArray());
    }

    private static void SetMasks(MaskSet masks, bool[][] m)
    {
        for (int l = 0; l < m.Length; l++)
        {
            using var t = tensor(m[l]).reshape(masks.Layers[l].Shape);
            masks.Layers[l].SetMask(t);
        }
    }

    /// <summary>A model of the given weights and masks, masked (inactive weights at 0), in <paramref name="type"/>.</summary>
    private static (Sequential Model, MaskSet Masks) Masked((int Out, int In)[] shapes, float[][] w, bool[][] m, ScalarType type = ScalarType.Float32, optim.Optimizer? optimizer = null, Sequential? model = null)
    {
        model ??= Model(shapes, w);
        model.to(type);
        var masks = MaskSet.ForModel(model, optimizer);
        SetMasks(masks, m);
        masks.Apply();
        return (model, masks);
    }

    private static bool[][] MaskValues(MaskSet masks) => [.. masks.Layers.Select(l => TinyNets.Flat(l.Mask))];

    private static float[] Floats(Tensor t)
    {
        using var f = t.detach().to(ScalarType.Float32);
        using var flat = f.flatten();
        return flat.data<float>().ToArray();
    }

    private static float[][] WeightValues(MaskSet masks) => [.. masks.Layers.Select(l => Floats(l.Weight))];

    private static string Show(float[] v) => "[" + string.Join(", ", v.Select(x => x == 0 && float.IsNegative(x) ? "-0" : x.ToString("R", CultureInfo.InvariantCulture))) + "]";

    private static string Show(bool[] m) => "[" + string.Join("", m.Select(b => b ? '1' : '0')) + "]";

    private static string Show(float[][] v) => string.Join(" | ", v.Select(Show));

    private static string Show(bool[][] m) => string.Join(" | ", m.Select(Show));

    private static string Show(IEnumerable<long> v) => "[" + string.Join(",", v) + "]";

    private static bool Same(bool[][] a, bool[][] b) => a.Length == b.Length && a.Zip(b).All(p => p.First.SequenceEqual(p.Second));

    /// <summary>round(d·N) as docs/algorithm.md defines it ("Counts"): halves away from zero, the product taken to 9 decimals
    /// first (double's 0.29 · 50 is 14.499999999999998, which rounds to 15).</summary>
    private static long RoundAway(double d, long n) => RoundAway(Math.Round(d * n, 9));

    private static long RoundAway(double x) => (long)Math.Round(x, MidpointRounding.AwayFromZero);

    /// <summary>Fails with the number of failing cases of <paramref name="cases"/> and the first few, in full.</summary>
    private static void AssertNoFailures(string property, int cases, List<string> failures) =>
        Assert.True(failures.Count == 0, $"{property}: {failures.Count} of {cases} cases failed:\n" + string.Join("\n", failures.Take(5)));

    // ---------------------------------------------------------------- references (docs/algorithm.md)

    /// <summary>§3 global: the <paramref name="keep"/> largest |w| among active entries; ties to the lower global position.</summary>
    private static bool[][] GlobalReferenceKeep(float[][] w, bool[][] m, long keep)
    {
        var entries = new List<(int L, int I, long Global, float Mag)>();
        long offset = 0;
        for (int l = 0; l < w.Length; l++)
        {
            for (int i = 0; i < w[l].Length; i++)
            {
                if (m[l][i])
                {
                    entries.Add((l, i, offset + i, Math.Abs(w[l][i])));
                }
            }
            offset += w[l].Length;
        }
        var result = w.Select(x => new bool[x.Length]).ToArray();
        foreach (var e in entries.OrderByDescending(e => e.Mag).ThenBy(e => e.Global).Take((int)keep))
        {
            result[e.L][e.I] = true;
        }
        return result;
    }

    /// <summary>§3 global at density <paramref name="d"/>: round(d·N) kept, never more than are active.</summary>
    private static bool[][] GlobalReference(float[][] w, bool[][] m, double d)
    {
        long total = w.Sum(x => x.Length);
        long active = m.Sum(x => x.Count(b => b));
        return GlobalReferenceKeep(w, m, Math.Min(active, RoundAway(Math.Min(1, d), total)));
    }

    /// <summary>The <paramref name="keep"/> largest |w| among the active entries of one layer, ties to the lower position.</summary>
    private static bool[] TopMagnitude(float[] w, bool[] m, long keep)
    {
        var result = new bool[w.Length];
        foreach (int i in Enumerable.Range(0, w.Length).Where(i => m[i]).OrderByDescending(i => Math.Abs(w[i])).ThenBy(i => i).Take((int)keep))
        {
            result[i] = true;
        }
        return result;
    }

    /// <summary>
    /// §4 on one layer: k = ceil(r·n) (the product rounded to 9 decimals, as Regenerator.MoveCount documents); drop the k
    /// smallest |w| (or drop scores) among active; grow the k largest scores among inactive and just-dropped. Ties: the
    /// lower position; −0 and +0 are equal (C#'s float comparison).
    /// </summary>
    private static (bool[] After, long K) RegenerateReference(float[] w, bool[] m, float[] growScore, double rate, float[]? dropScore)
    {
        long n = m.Count(b => b);
        if (n == 0 || n == m.Length)
        {
            return ((bool[])m.Clone(), 0);
        }
        long k = Math.Min(n, (long)Math.Ceiling(Math.Round(rate * n, 9)));
        var drop = Enumerable.Range(0, m.Length).Where(i => m[i])
            .OrderBy(i => dropScore is null ? Math.Abs(w[i]) : dropScore[i]).ThenBy(i => i).Take((int)k).ToHashSet();
        var afterDrop = m.Select((b, i) => b && !drop.Contains(i)).ToArray();
        var grow = Enumerable.Range(0, m.Length).Where(i => !afterDrop[i])
            .OrderByDescending(i => growScore[i]).ThenBy(i => i).Take((int)k).ToHashSet();
        return (afterDrop.Select((b, i) => b || grow.Contains(i)).ToArray(), k);
    }

    /// <summary>§1 ER/ERK: ε with Σ ε·p_l·N_l = d·N; every layer with ε·p_l &gt; 1 made dense, ε solved again over the rest.</summary>
    private static double[] ErkReference(long[][] shapes, double d, bool kernel)
    {
        double[] size = [.. shapes.Select(s => (double)s.Aggregate(1L, (a, b) => a * b))];
        double[] p = [.. shapes.Select(s => kernel || s.Length < 2 ? (double)s.Sum() / s.Aggregate(1L, (a, b) => a * b) : (double)(s[0] + s[1]) / (s[0] * s[1]))];
        var dense = new bool[shapes.Length];
        double total = size.Sum();
        while (true)
        {
            double rest = (d * total) - Enumerable.Range(0, size.Length).Where(l => dense[l]).Sum(l => size[l]);
            double divisor = Enumerable.Range(0, size.Length).Where(l => !dense[l]).Sum(l => p[l] * size[l]);
            if (divisor == 0)
            {
                return [.. size.Select(_ => 1.0)];
            }
            double eps = rest / divisor;
            var over = Enumerable.Range(0, size.Length).Where(l => !dense[l] && eps * p[l] > 1).ToList();
            if (over.Count == 0)
            {
                return [.. Enumerable.Range(0, size.Length).Select(l => dense[l] ? 1.0 : eps * p[l])];
            }
            over.ForEach(l => dense[l] = true);
        }
    }

    // ---------------------------------------------------------------- global magnitude pruning

    [Theory]
    [InlineData(ScalarType.Float32, 300)] // RadixSelection
    [InlineData(ScalarType.Float64, 150)] // ExactSelection (libtorch)
    public void Global_pruning_keeps_exactly_the_reference_set(ScalarType type, int cases)
    {
        var failures = new List<string>();
        for (int seed = 0; seed < cases; seed++)
        {
            var rng = new Random(seed);
            var (shapes, w, m) = Layers(rng, n => Values(rng, n));
            double d = Density(rng, w.Sum(x => x.Length));
            using var scope = NewDisposeScope();
            var (model, masks) = Masked(shapes, w, m, type);
            using (model)
            using (masks)
            {
                var applied = WeightValues(masks);
                var expected = GlobalReference(applied, m, d);
                new GlobalMagnitudePruner().Prune(masks, d);
                var actual = MaskValues(masks);
                if (!Same(expected, actual))
                {
                    failures.Add($"seed {seed} {type} d={d:R} shapes={string.Join(",", shapes)}\n  w={Show(applied)}\n  m={Show(m)}\n  expected={Show(expected)}\n  actual  ={Show(actual)}");
                }
            }
        }
        AssertNoFailures($"global pruning {type}", cases, failures);
    }

    [Fact]
    public void Global_pruning_of_a_large_layer_of_near_equal_values_matches_the_reference()
    {
        // One layer of 20 000 values with few distinct high bits (many radix-bucket collisions), 70 % active.
        const int n = 20000;
        var rng = new Random(50000);
        var v = Enumerable.Range(0, n).Select(_ => BitConverter.Int32BitsToSingle((0x3F800000 + rng.Next(0, 4 * 65536)) | (rng.Next(2) == 0 ? int.MinValue : 0))).ToArray();
        var m = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.7).ToArray();
        long active = m.Count(b => b);
        var failures = new List<string>();
        double[] densities = [0.001, 0.3, 0.69, 1.0 * (active - 1) / n];
        foreach (double d in densities)
        {
            using var scope = NewDisposeScope();
            var (model, masks) = Masked([(1, n)], [v], [m]);
            using (model)
            using (masks)
            {
                var applied = WeightValues(masks);
                var expected = GlobalReference(applied, [m], d)[0];
                new GlobalMagnitudePruner().Prune(masks, d);
                var actual = TinyNets.Flat(masks.Layers[0].Mask);
                if (!expected.SequenceEqual(actual))
                {
                    int first = Enumerable.Range(0, n).First(i => expected[i] != actual[i]);
                    failures.Add($"seed 50000 n={n} d={d:R}: kept {actual.Count(b => b)}, reference {expected.Count(b => b)}; first difference at {first} (|w| = {Math.Abs(applied[0][first]):R}, reference {expected[first]}, actual {actual[first]})");
                }
            }
        }
        AssertNoFailures("large near-equal layer", densities.Length, failures);
    }

    [Fact]
    public void Prune_share_keeps_round_of_one_minus_the_share_of_the_active_largest_magnitudes()
    {
        const int cases = 200;
        var failures = new List<string>();
        for (int seed = 0; seed < cases; seed++)
        {
            var rng = new Random(40000 + seed);
            var (shapes, w, m) = Layers(rng, n => Values(rng, n));
            double share = rng.Next(4) switch { 0 => 0, 1 => 1, 2 => 0.5, _ => rng.NextDouble() };
            using var scope = NewDisposeScope();
            var (model, masks) = Masked(shapes, w, m);
            using (model)
            using (masks)
            {
                var applied = WeightValues(masks);
                long active = masks.Active;
                long keep = RoundAway(Math.Round((1 - share) * active, 9));
                var expected = GlobalReferenceKeep(applied, m, keep);
                long pruned = new GlobalMagnitudePruner().PruneShare(masks, share);
                var actual = MaskValues(masks);
                if (pruned != active - keep || !Same(expected, actual))
                {
                    failures.Add($"seed {40000 + seed} share={share:R} active={active}: pruned {pruned}, reference {active - keep}\n  w={Show(applied)}\n  m={Show(m)}\n  expected={Show(expected)}\n  actual  ={Show(actual)}");
                }
            }
        }
        AssertNoFailures("prune share", cases, failures);
    }

    // ---------------------------------------------------------------- layer-wise magnitude pruning

    [Theory]
    [InlineData(false, 300)]
    [InlineData(true, 300)]
    public void Layerwise_pruning_counts_and_sets_follow_the_documented_rule(bool classifierRule, int cases)
    {
        var failures = new List<string>();
        int run = 0;
        for (int seed = 0; run < cases; seed++)
        {
            var rng = new Random(1000 + seed);
            var shapes = Shapes(rng);
            var w = shapes.Select(s => Values(rng, s.Out * s.In)).ToArray();
            var m = shapes.Select(s => rng.Next(3) == 0 ? MaskOf(rng, s.Out * s.In) : Enumerable.Repeat(true, s.Out * s.In).ToArray()).ToArray();
            long[] sizes = [.. w.Select(x => (long)x.Length)];
            long total = sizes.Sum();
            long[] active = [.. m.Select(x => (long)x.Count(b => b))];
            double d = rng.Next(4) == 0 ? 0.2 : Density(rng, total);
            if (d <= 0)
            {
                d = 0.05;
            }
            bool rule = classifierRule && w.Length > 1 && 1 - d >= 0.8;
            if (rule && LayerwiseMagnitudePruner.ClassifierDensity * sizes[^1] > d * total)
            {
                continue; // the last layer's 0.2 alone exceeds d·N: documented, and refused by Create (§3)
            }
            run++;
            using var scope = NewDisposeScope();
            var (model, masks) = Masked(shapes, w, m);
            using (model)
            using (masks)
            {
                var applied = WeightValues(masks);
                new LayerwiseMagnitudePruner(classifierRule).Prune(masks, d);
                var actual = MaskValues(masks);
                long[] kept = [.. actual.Select(x => (long)x.Count(b => b))];
                var problems = new List<string>();
                for (int l = 0; l < w.Length; l++)
                {
                    if (kept[l] > active[l])
                    {
                        problems.Add($"layer {l} keeps {kept[l]} > active {active[l]}");
                    }
                    var expected = TopMagnitude(applied[l], m[l], kept[l]);
                    if (!expected.SequenceEqual(actual[l]))
                    {
                        problems.Add($"layer {l} kept set is not the top-{kept[l]} |w| (ties lower): w={Show(applied[l])} m={Show(m[l])} expected={Show(expected)} actual={Show(actual[l])}");
                    }
                }
                // No layer capped and no rule: every layer keeps exactly round(d·N_l).
                if (!rule && Enumerable.Range(0, w.Length).All(l => active[l] >= RoundAway(d, sizes[l])))
                {
                    for (int l = 0; l < w.Length; l++)
                    {
                        if (kept[l] != RoundAway(d, sizes[l]))
                        {
                            problems.Add($"layer {l} keeps {kept[l]}, round(d·N_l) = {RoundAway(d, sizes[l])}");
                        }
                    }
                }
                // §3: the whole model keeps d·N up to per-layer rounding (each count within half a weight of its share).
                if (active.Sum() >= d * total && Math.Abs(kept.Sum() - (d * total)) > (0.5 * w.Length) + 1e-9)
                {
                    problems.Add($"total {kept.Sum()} vs d·N = {d * total:R}: more than L/2 = {0.5 * w.Length} off");
                }
                if (active.Sum() < d * total && kept.Sum() != active.Sum())
                {
                    problems.Add($"fewer active ({active.Sum()}) than d·N: keeps {kept.Sum()}, not all");
                }
                // The rule: the last layer at 0.2 when it has that many and the other layers can hold the rest.
                if (rule && active[^1] >= RoundAway(0.2, sizes[^1]))
                {
                    double others = (d * total) - (0.2 * sizes[^1]);
                    if (active[..^1].Sum() >= others && kept[^1] != RoundAway(0.2, sizes[^1]))
                    {
                        problems.Add($"classifier rule: last layer keeps {kept[^1]}, round(0.2·{sizes[^1]}) = {RoundAway(0.2, sizes[^1])}");
                    }
                }
                if (problems.Count > 0)
                {
                    failures.Add($"seed {1000 + seed} rule={classifierRule} d={d:R} sizes={Show(sizes)} active={Show(active)} kept={Show(kept)}: {string.Join("; ", problems)}");
                }
            }
        }
        AssertNoFailures($"layer-wise pruning rule={classifierRule}", cases, failures);
    }

    // ---------------------------------------------------------------- growth over all layers (plasticity study, §7)

    [Fact]
    public void Global_gradient_growth_grows_the_largest_gradients_over_all_layers_at_zero()
    {
        const int cases = 200;
        var failures = new List<string>();
        for (int seed = 0; seed < cases; seed++)
        {
            var rng = new Random(60000 + seed);
            var (shapes, w, m) = Layers(rng, n => ModerateValues(rng, n, 0.25f));
            var g = shapes.Select(s => ModerateValues(rng, s.Out * s.In, 2f)).ToArray();
            if (!g.Any(x => x.Any(v => v != 0)))
            {
                g[0][0] = 1f; // an all-zero gradient is refused (no gradient computed)
            }
            using var scope = NewDisposeScope();
            var (model, masks) = Masked(shapes, w, m);
            using (model)
            using (masks)
            {
                long inactive = masks.Total - masks.Active;
                long count = rng.Next(4) switch { 0 => 0, 1 => inactive, 2 => inactive + 3, _ => rng.Next((int)inactive + 1) };
                for (int l = 0; l < shapes.Length; l++)
                {
                    TinyNets.SetGradient(masks.Layers[l].Weight, g[l]);
                }
                var before = WeightValues(masks);
                var entries = new List<(int L, int I, long Global, float Score)>();
                long offset = 0;
                for (int l = 0; l < shapes.Length; l++)
                {
                    entries.AddRange(Enumerable.Range(0, g[l].Length).Where(i => !m[l][i]).Select(i => (l, i, offset + i, Math.Abs(g[l][i]))));
                    offset += g[l].Length;
                }
                var expected = m.Select(x => (bool[])x.Clone()).ToArray();
                foreach (var e in entries.OrderByDescending(e => e.Score).ThenBy(e => e.Global).Take((int)count))
                {
                    expected[e.L][e.I] = true;
                }
                GlobalGradientGrowth.Grow(masks, count);
                var actual = MaskValues(masks);
                var after = WeightValues(masks);
                bool weightsOk = Enumerable.Range(0, shapes.Length).All(l => Enumerable.Range(0, w[l].Length).All(i => after[l][i] == (m[l][i] ? before[l][i] : 0f)));
                if (!Same(expected, actual) || !weightsOk)
                {
                    failures.Add($"seed {60000 + seed} count={count}: g={Show(g)}\n  m={Show(m)}\n  expected={Show(expected)}\n  actual  ={Show(actual)}\n  weights before={Show(before)} after={Show(after)}");
                }
            }
        }
        AssertNoFailures("global gradient growth", cases, failures);
    }

    // ---------------------------------------------------------------- regeneration (§4)

    /// <summary>
    /// The given scores, in the weight's type; with <paramref name="strided"/> a non-contiguous view of the layer's shape
    /// (every other entry of a larger tensor), which no selection may read as contiguous: ExactSelection's path.
    /// </summary>
    private static Tensor ScoreTensor(float[] values, MaskedLayer layer, bool strided)
    {
        if (!strided)
        {
            return tensor(values).reshape(layer.Shape).to(layer.Weight.dtype);
        }
        var interleaved = tensor(values.SelectMany(v => new[] { v, 9f }).ToArray()).reshape(values.Length, 2).to(layer.Weight.dtype);
        return interleaved.select(1, 0).view(layer.Shape);
    }

    private static int IndexOf(MaskSet masks, MaskedLayer layer) => masks.Layers.Select((l, i) => (l, i)).First(p => ReferenceEquals(p.l, layer)).i;

    private sealed class FixedGrowth(float[][] scores, bool strided = false) : IGrowthScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks) => ScoreTensor(scores[IndexOf(masks, layer)], layer, strided);
    }

    private sealed class FixedDrop(float[][] scores, bool strided = false) : IDropScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks) => ScoreTensor(scores[IndexOf(masks, layer)], layer, strided);
    }

    public enum RegenerationCase
    {
        /// <summary>Custom growth scores, float32: RadixSelection for both drop (|w|) and growth.</summary>
        CustomGrowthFloat32,

        /// <summary>GradientGrowth (|∂L/∂w|) with SGD momentum state: grown positions at 0, kept ones unchanged.</summary>
        GradientWithMomentum,

        /// <summary>Custom growth and drop scores, float32 (signed order, RadixSelection).</summary>
        CustomDropFloat32,

        /// <summary>Custom growth and drop scores, float64: ExactSelection (libtorch).</summary>
        CustomDropFloat64,

        /// <summary>Custom growth and drop scores as non-contiguous float32 views: ExactSelection on float32.</summary>
        CustomDropStrided,
    }

    [Theory]
    [InlineData(RegenerationCase.CustomGrowthFloat32, 300)]
    [InlineData(RegenerationCase.GradientWithMomentum, 200)]
    [InlineData(RegenerationCase.CustomDropFloat32, 200)]
    [InlineData(RegenerationCase.CustomDropFloat64, 200)]
    [InlineData(RegenerationCase.CustomDropStrided, 150)]
    public void Regeneration_matches_the_reference_drop_and_grow_sets(RegenerationCase mode, int cases)
    {
        bool gradient = mode == RegenerationCase.GradientWithMomentum;
        bool customDrop = mode is RegenerationCase.CustomDropFloat32 or RegenerationCase.CustomDropFloat64 or RegenerationCase.CustomDropStrided;
        bool strided = mode == RegenerationCase.CustomDropStrided;
        var type = mode == RegenerationCase.CustomDropFloat64 ? ScalarType.Float64 : ScalarType.Float32;
        var failures = new List<string>();
        for (int seed = 0; seed < cases; seed++)
        {
            int caseSeed = 5000 + ((int)mode * 10000) + seed;
            var rng = new Random(caseSeed);
            var shapes = Shapes(rng);
            var w = shapes.Select(s => gradient ? ModerateValues(rng, s.Out * s.In, 0.25f) : Values(rng, s.Out * s.In)).ToArray();
            var m = shapes.Select(s => MaskOf(rng, s.Out * s.In)).ToArray();
            var g = shapes.Select(s => gradient ? ModerateValues(rng, s.Out * s.In, 2f) : Values(rng, s.Out * s.In)).ToArray();
            var ds = customDrop ? shapes.Select(s => Values(rng, s.Out * s.In)).ToArray() : null;
            double rate = rng.Next(5) switch { 0 => 0, 1 => 1, 2 => 0.005, _ => rng.NextDouble() };
            using var scope = NewDisposeScope();
            using var model = Model(shapes, w);
            using var sgd = gradient ? new ScalarSafeSgd(model.parameters(), 0.1, 0.9) : null;
            if (sgd is not null)
            {
                // One step with gradient 1 everywhere: the momentum buffer is 1 at every position (w moves by -0.1).
                foreach (var fc in model.children().Cast<Linear>())
                {
                    TinyNets.SetGradient(fc.weight!, [.. Enumerable.Repeat(1f, (int)fc.weight!.numel())]);
                }
                sgd.step();
                sgd.zero_grad();
            }
            var (_, masks) = Masked(shapes, w, m, type, sgd, model);
            using (masks)
            {
                var before = WeightValues(masks);
                float[][] scores = g;
                IGrowthScore growth = new FixedGrowth(g, strided);
                if (gradient)
                {
                    if (!g.Any(x => x.Any(v => v != 0)))
                    {
                        g[0][0] = 1f; // an all-zero gradient is refused (no gradient computed)
                    }
                    for (int l = 0; l < shapes.Length; l++)
                    {
                        TinyNets.SetGradient(masks.Layers[l].Weight, g[l]);
                    }
                    scores = [.. g.Select(x => x.Select(Math.Abs).ToArray())];
                    growth = new GradientGrowth();
                }
                var updates = new Regenerator(growth, ds is null ? null : new FixedDrop(ds, strided)).Regenerate(masks, rate);
                var problems = new List<string>();
                var states = sgd is null ? null : OptimizerStateAccess.States(sgd);
                for (int l = 0; l < shapes.Length; l++)
                {
                    var (expected, k) = RegenerateReference(before[l], m[l], scores[l], rate, ds?[l]);
                    var actual = TinyNets.Flat(masks.Layers[l].Mask);
                    var weights = Floats(masks.Layers[l].Weight);
                    if (!expected.SequenceEqual(actual))
                    {
                        problems.Add($"layer {l} k={k}: w={Show(before[l])} m={Show(m[l])} grow={Show(scores[l])}{(ds is null ? "" : " drop=" + Show(ds[l]))}\n    expected={Show(expected)}\n    actual  ={Show(actual)}");
                    }
                    if (actual.Count(b => b) != m[l].Count(b => b))
                    {
                        problems.Add($"layer {l}: active count {m[l].Count(b => b)} -> {actual.Count(b => b)}");
                    }
                    if (updates[l].Moved != k)
                    {
                        problems.Add($"layer {l}: reported moved {updates[l].Moved}, k = ceil(r·n) = {k}");
                    }
                    // Kept and just-dropped-regrown weights keep their value; grown-new and inactive ones are 0.
                    int wrong = Enumerable.Range(0, actual.Length).FirstOrDefault(i => !(weights[i] == (actual[i] && m[l][i] ? before[l][i] : 0f)), -1);
                    if (wrong >= 0)
                    {
                        problems.Add($"layer {l} position {wrong}: weight {weights[wrong]:R}, expected {(actual[wrong] && m[l][wrong] ? before[l][wrong] : 0f):R} (active before {m[l][wrong]}, after {actual[wrong]})");
                    }
                    if (states is not null)
                    {
                        foreach (var state in OptimizerStateAccess.PerWeightState(states, masks.Layers[l].OptimizerIndex))
                        {
                            var s = Floats(state);
                            int bad = Enumerable.Range(0, s.Length).FirstOrDefault(i => s[i] != (actual[i] && m[l][i] ? 1f : 0f), -1);
                            if (bad >= 0)
                            {
                                problems.Add($"layer {l} position {bad}: momentum {s[bad]:R}, expected {(actual[bad] && m[l][bad] ? 1 : 0)} (active before {m[l][bad]}, after {actual[bad]})");
                            }
                        }
                    }
                }
                if (problems.Count > 0)
                {
                    failures.Add($"seed {caseSeed} {mode} rate={rate:R}:\n  " + string.Join("\n  ", problems));
                }
            }
        }
        AssertNoFailures($"regeneration {mode}", cases, failures);
    }

    [Fact]
    public void Non_finite_growth_or_drop_scores_are_refused_naming_the_layer()
    {
        // Every regenerated layer's score is checked, including a k of 0; an empty or full layer is not scored at all.
        float[] bad = [float.NaN, BitConverter.Int32BitsToSingle(0x7FC00000), float.PositiveInfinity, float.NegativeInfinity];
        const int cases = 150;
        var failures = new List<string>();
        int refused = 0;
        for (int seed = 0; seed < cases; seed++)
        {
            var rng = new Random(70000 + seed);
            var (shapes, w, m) = Layers(rng, n => Values(rng, n));
            var g = shapes.Select(s => Values(rng, s.Out * s.In)).ToArray();
            var ds = shapes.Select(s => Values(rng, s.Out * s.In)).ToArray();
            var type = rng.Next(2) == 0 ? ScalarType.Float32 : ScalarType.Float64;
            bool strided = rng.Next(3) == 0;
            bool inDrop = rng.Next(2) == 0;
            int target = rng.Next(shapes.Length);
            var positions = Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => rng.Next(w[target].Length)).Distinct().ToArray();
            foreach (int i in positions)
            {
                (inDrop ? ds : g)[target][i] = bad[rng.Next(bad.Length)];
            }
            double rate = rng.Next(4) == 0 ? 0 : rng.NextDouble();
            int active = m[target].Count(b => b);
            bool scored = active > 0 && active < m[target].Length;
            using var scope = NewDisposeScope();
            var (model, masks) = Masked(shapes, w, m, type);
            using (model)
            using (masks)
            {
                var regenerator = new Regenerator(new FixedGrowth(g, strided), new FixedDrop(ds, strided));
                var thrown = Record.Exception(() => regenerator.Regenerate(masks, rate));
                string expected = $"The {(inDrop ? "drop" : "growth")} score of layer l{target}.weight has {positions.Length} NaN or infinite values; ";
                string what = $"seed {70000 + seed} {type}{(strided ? " strided" : "")} layer {target} m={Show(m[target])} {(inDrop ? "drop" : "growth")}={Show((inDrop ? ds : g)[target])} rate={rate:R}";
                if (scored)
                {
                    refused++;
                    if (thrown is not InvalidOperationException || !thrown.Message.StartsWith(expected, StringComparison.Ordinal))
                    {
                        failures.Add($"{what}: expected InvalidOperationException \"{expected}…\", got {(thrown is null ? "no exception, masks " + Show(MaskValues(masks)) : thrown.GetType().Name + " \"" + thrown.Message + "\"")}");
                    }
                }
                else if (thrown is not null)
                {
                    failures.Add($"{what}: the layer is {(active == 0 ? "empty" : "full")} (not scored), but {thrown.GetType().Name} \"{thrown.Message}\"");
                }
            }
        }
        AssertNoFailures("non-finite scores", cases, failures);
        Assert.True(refused >= cases / 2, $"only {refused} of {cases} cases put the non-finite score in a layer that is scored");
    }

    // ---------------------------------------------------------------- ER / ERK (§1)

    [Theory]
    [InlineData(true, 300)]
    [InlineData(false, 300)]
    public void Er_and_erk_densities_and_counts_match_the_hand_rolled_capping_loop(bool kernel, int cases)
    {
        var failures = new List<string>();
        long[] dims = [1, 2, 3, 6, 16, 64, 512, 4096];
        for (int seed = 0; seed < cases; seed++)
        {
            var rng = new Random(20000 + seed);
            int layers = 1 + rng.Next(6);
            var shapes = Enumerable.Range(0, layers).Select(_ => rng.Next(2) == 0
                ? new[] { dims[rng.Next(dims.Length)], dims[rng.Next(dims.Length)] }
                : [dims[rng.Next(dims.Length)], dims[rng.Next(dims.Length)], 1 + rng.Next(5), 1 + rng.Next(5)]).ToArray();
            double d = rng.Next(5) switch { 0 => 1, 1 => 1e-3, 2 => 0.999, _ => Math.Max(1e-4, rng.NextDouble()) };
            var expected = ErkReference(shapes, d, kernel);
            var actual = new ErdosRenyiDistribution(kernel).Densities(shapes, d);
            long[] sizes = [.. shapes.Select(s => s.Aggregate(1L, (a, b) => a * b))];
            var problems = new List<string>();
            for (int l = 0; l < layers; l++)
            {
                if (!(actual[l] > 0 && actual[l] <= 1))
                {
                    problems.Add($"layer {l} density {actual[l]:R} outside (0, 1]");
                }
                if (Math.Abs(expected[l] - actual[l]) > 1e-12 * Math.Max(1, expected[l]))
                {
                    problems.Add($"layer {l} density {actual[l]:R}, reference {expected[l]:R}");
                }
                if (MaskedLayer.KeepCount(actual[l], sizes[l]) != RoundAway(Math.Min(1, expected[l]), sizes[l]))
                {
                    problems.Add($"layer {l} count {MaskedLayer.KeepCount(actual[l], sizes[l])}, reference {RoundAway(Math.Min(1, expected[l]), sizes[l])}");
                }
            }
            double overall = actual.Select((x, l) => x * sizes[l]).Sum() / sizes.Sum();
            if (Math.Abs(overall - d) > 1e-9)
            {
                problems.Add($"overall density {overall:R} != {d:R}");
            }
            if (problems.Count > 0)
            {
                failures.Add($"seed {20000 + seed} kernel={kernel} d={d:R} shapes={string.Join(" ", shapes.Select(s => "[" + string.Join("x", s) + "]"))}: {string.Join("; ", problems)}");
            }
        }
        AssertNoFailures($"ER kernel={kernel}", cases, failures);
    }

    [Theory]
    [InlineData(DistributionKind.ERK)]
    [InlineData(DistributionKind.ER)]
    [InlineData(DistributionKind.Uniform)]
    public void Initial_masks_activate_exactly_round_of_each_layer_density(DistributionKind distribution)
    {
        var failures = new List<string>();
        double[] densities = [0.05, 0.3, 0.77, 0.999];
        foreach (double d in densities)
        {
            using var scope = NewDisposeScope();
            manual_seed(7);
            using var model = nn.Sequential(("c1", nn.Conv2d(1, 3, 3)), ("flat", nn.Flatten()), ("fc1", nn.Linear(3 * 6 * 6, 40)), ("fc2", nn.Linear(40, 2)));
            using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0.9);
            var options = new SparsityOptions { Method = SparsityMethodKind.Static, FinalDensity = d, Distribution = distribution, UpdateInterval = 2, PruneEndEpoch = 1 };
            using var sparsity = SparsityController.Create(model, optimizer, options, 4, 2, sampleShape: [1, 8, 8]);
            var shapes = sparsity.Masks.Layers.Select(l => l.Shape).ToArray();
            var expected = distribution == DistributionKind.Uniform ? shapes.Select(_ => d).ToArray() : ErkReference(shapes, d, distribution == DistributionKind.ERK);
            for (int l = 0; l < shapes.Length; l++)
            {
                var layer = sparsity.Masks.Layers[l];
                long want = RoundAway(Math.Min(1, expected[l]), layer.Count);
                if (layer.ActiveCount != want)
                {
                    failures.Add($"{distribution} d={d}: {layer.Name} active {layer.ActiveCount}, round(d_l·N_l) = {want}");
                }
                var weights = Floats(layer.Weight);
                var mask = TinyNets.Flat(layer.Mask);
                int live = Enumerable.Range(0, weights.Length).FirstOrDefault(i => !mask[i] && weights[i] != 0, -1);
                if (live >= 0)
                {
                    failures.Add($"{distribution} d={d}: {layer.Name} inactive position {live} holds {weights[live]:R}, not 0");
                }
            }
        }
        AssertNoFailures($"initial masks {distribution}", densities.Length, failures);
    }

    // ---------------------------------------------------------------- cubic schedule (§3)

    [Fact]
    public void Cubic_schedule_endpoints_events_and_monotonicity()
    {
        const int cases = 300;
        var failures = new List<string>();
        for (int seed = 0; seed < cases; seed++)
        {
            var rng = new Random(30000 + seed);
            long t0 = rng.Next(3) == 0 ? 0 : rng.Next(1000);
            long tf = t0 + 1 + rng.Next(rng.Next(2) == 0 ? 5 : 5000);
            long dt = 1 + rng.Next(rng.Next(2) == 0 ? 3 : 400);
            double di = rng.Next(3) == 0 ? 1 : rng.NextDouble();
            double df = rng.Next(4) == 0 ? di : di * rng.NextDouble();
            var s = new CubicPruningSchedule(t0, tf, dt, di, df);
            var problems = new List<string>();
            if (s.DensityAt(t0) != di)
            {
                problems.Add($"DensityAt(t0) = {s.DensityAt(t0):R}, not d_i");
            }
            if (s.DensityAt(tf) != df)
            {
                problems.Add($"DensityAt(tf) = {s.DensityAt(tf):R}, not d_f");
            }
            if (!s.IsPruningStep(tf))
            {
                problems.Add("tf is not a pruning step");
            }
            if (s.IsPruningStep(t0) || s.IsPruningStep(tf + 1) || (t0 > 0 && s.IsPruningStep(0)))
            {
                problems.Add("an event at t0, after tf, or at 0");
            }
            double previous = di;
            for (long t = t0; t <= tf + 2; t += Math.Max(1, (tf - t0) / 50))
            {
                double v = s.DensityAt(t);
                double expected = t <= t0 ? di : t >= tf ? df : df + ((di - df) * Math.Pow(1 - ((double)(t - t0) / (tf - t0)), 3));
                bool isEvent = t == tf || (t % dt == 0 && t > t0 && t < tf);
                if (Math.Abs(v - expected) > 1e-12 || v > previous + 1e-15 || v < df - 1e-15 || isEvent != s.IsPruningStep(t))
                {
                    problems.Add($"t={t}: density {v:R} (reference {expected:R}, previous {previous:R}), event {s.IsPruningStep(t)} (reference {isEvent})");
                    break;
                }
                previous = v;
            }
            if (problems.Count > 0)
            {
                failures.Add($"seed {30000 + seed} t0={t0} tf={tf} ΔT={dt} d_i={di:R} d_f={df:R}: {string.Join("; ", problems)}");
            }
        }
        AssertNoFailures("cubic schedule", cases, failures);
    }

    [Theory]
    [InlineData(SparsityMethodKind.Gmp, 1.0, 0.1)]
    [InlineData(SparsityMethodKind.Gmp, 1.0, 0.013)]
    [InlineData(SparsityMethodKind.GraNet, 0.5, 0.1)]
    [InlineData(SparsityMethodKind.GraNet, 1.0, 0.037)]
    [InlineData(SparsityMethodKind.GmpUniform, 1.0, 0.3)]
    [InlineData(SparsityMethodKind.GraNetUniform, 0.6, 0.25)]
    public void A_run_lands_on_the_final_density_at_the_end_step_and_stays_there(SparsityMethodKind method, double init, double final)
    {
        // 4 steps an epoch, pruning from epoch 0.5 to 2.5: t0 = 2, tf = 10; 12 steps in all (regeneration continues after tf).
        using var scope = NewDisposeScope();
        manual_seed(13);
        using var model = nn.Sequential(("fc1", nn.Linear(30, 20)), ("relu", nn.ReLU()), ("fc2", nn.Linear(20, 7)), ("relu2", nn.ReLU()), ("fc3", nn.Linear(7, 3)));
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.01, 0.9);
        var options = new SparsityOptions { Method = method, InitDensity = init, FinalDensity = final, UpdateInterval = 3, PruneStartEpoch = 0.5, PruneEndEpoch = 2.5, ClassifierRule = false };
        using var sparsity = SparsityController.Create(model, optimizer, options, 4, 3, sampleShape: [30]);
        var generator = new Generator(9);
        long total = sparsity.Masks.Total;
        long target = RoundAway(final, total);
        bool global = method is SparsityMethodKind.Gmp or SparsityMethodKind.GraNet;
        long atEnd = -1;
        for (long step = 1; step <= 12; step++)
        {
            using var x = randn([8, 30], generator: generator);
            using var y = randint(0, 3, [8], generator: generator);
            optimizer.zero_grad();
            using var output = model.call(x);
            using var loss = nn.functional.cross_entropy(output, y);
            loss.backward();
            optimizer.step();
            sparsity.AfterOptimizerStep(step);
            if (step == 10)
            {
                atEnd = sparsity.Masks.Active;
            }
        }
        // Global: exactly round(d_f·N). Layer-wise: each of the 3 layers within half a weight of d_f·N_l.
        Assert.True(global ? atEnd == target : Math.Abs(atEnd - (final * total)) <= 1.5, $"{method} {init}->{final}: {atEnd} active after tf, round(d_f·N) = {target} of {total}");
        Assert.True(sparsity.Masks.Active == atEnd, $"{method} {init}->{final}: {atEnd} active after tf, {sparsity.Masks.Active} two steps later");
    }

    // ---------------------------------------------------------------- non-finite weights through the controller

    [Theory]
    [InlineData(float.PositiveInfinity, true)]
    [InlineData(float.NegativeInfinity, false)]
    [InlineData(float.NaN, false)]
    public void An_update_event_over_a_non_finite_weight_is_refused_and_changes_nothing(float bad, bool active)
    {
        // ControllerRobustnessTests covers a NaN at an active position; here an infinity, and values at inactive positions.
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var model = nn.Sequential(("fc1", nn.Linear(20, 10)), ("relu", nn.ReLU()), ("fc2", nn.Linear(10, 3)));
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.01, 0.9);
        var options = new SparsityOptions { Method = SparsityMethodKind.GraNet, InitDensity = 0.5, FinalDensity = 0.1, UpdateInterval = 2, PruneEndEpoch = 2 };
        using var sparsity = SparsityController.Create(model, optimizer, options, 4, 3, sampleShape: [20]);
        var generator = new Generator(5);
        void Step()
        {
            using var x = randn([8, 20], generator: generator);
            using var y = randint(0, 3, [8], generator: generator);
            optimizer.zero_grad();
            using var output = model.call(x);
            using var loss = nn.functional.cross_entropy(output, y);
            loss.backward();
            optimizer.step();
        }
        Step();
        sparsity.AfterOptimizerStep(1);
        Step();
        var layer = sparsity.Masks.Layers[0];
        var maskBefore = TinyNets.Flat(layer.Mask);
        int position = Array.FindIndex(maskBefore, b => b == active);
        using (no_grad())
        using (var flat = layer.Weight.view(-1))
        using (var value = tensor(bad))
        {
            flat[position] = value;
        }
        Assert.Throws<NonFiniteWeightsException>(() => sparsity.AfterOptimizerStep(2));
        Assert.Equal(maskBefore, TinyNets.Flat(layer.Mask));
        Assert.Equal(1, sparsity.Step);
    }
}
