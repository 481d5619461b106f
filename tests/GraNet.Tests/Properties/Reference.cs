using CsCheck;
using static TorchSharp.torch;

namespace GraNet.Tests.Properties;

/// <summary>Reference selections by sorting, and generators of tied scores, for the selection properties.</summary>
internal static class Reference
{
    /// <summary>Scores with many ties (and −0 beside +0, and infinities) between some drawn from a range.</summary>
    public static readonly Gen<float> TiedScore = Gen.Frequency(
        (4, Gen.OneOf(-3f, -1f, -0f, 0f, 0.5f, 1f, 2f, float.PositiveInfinity, float.NegativeInfinity)),
        (2, Gen.Float[-4f, 4f]));

    /// <summary>
    /// True at the <paramref name="k"/> entries of largest key (smallest with <paramref name="smallest"/>) among the eligible
    /// ones, by a stable sort: at equal keys the lower index comes first. All eligible entries if fewer than k.
    /// </summary>
    public static bool[] Select(IReadOnlyList<double> keys, IReadOnlyList<bool>? eligible, long k, bool smallest = false)
    {
        var candidates = Enumerable.Range(0, keys.Count).Where(i => eligible is null || eligible[i]);
        var ordered = smallest ? candidates.OrderBy(i => keys[i]) : candidates.OrderByDescending(i => keys[i]);
        var selected = new bool[keys.Count];
        foreach (int i in ordered.Take((int)Math.Clamp(k, 0, keys.Count)))
        {
            selected[i] = true;
        }
        return selected;
    }

    public static bool[] Bools(Tensor t)
    {
        using var flat = t.flatten();
        return flat.data<bool>().ToArray();
    }

    public static float[] Floats(Tensor t)
    {
        using var flat = t.detach().flatten();
        return flat.data<float>().ToArray();
    }

    public static double[] Doubles(Tensor t)
    {
        using var flat = t.detach().flatten();
        using var wide = flat.to_type(ScalarType.Float64);
        return wide.data<double>().ToArray();
    }

    public static string Show(bool[] b) => string.Concat(b.Select(x => x ? '1' : '0'));
}
