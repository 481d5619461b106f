namespace GraNet.Sparsity;

/// <summary>
/// Whole numbers from the product of a fraction and a count: weights kept (<c>d · N</c>), weights moved (<c>r · n</c>), steps of
/// an epoch or of a share of the run. Each product is rounded to 9 decimals first, so that floating-point noise does not carry it
/// across a half or a whole number: 0.29 × 50 is 14.499999999999998 in floating point, not the 14.5 that rounds up, and
/// 0.58 × 100000 is 57999.99999999999, not 58000. Every such count of the library comes from here.
/// </summary>
public static class WholeCounts
{
    /// <summary>The nearest whole number, halves away from zero (spec §1 and §3).</summary>
    public static long Round(double product) => (long)Math.Round(Settled(product), MidpointRounding.AwayFromZero);

    /// <summary>The smallest whole number not below the product (spec §4's <c>ceil(r · n)</c>).</summary>
    public static long Ceiling(double product) => (long)Math.Ceiling(Settled(product));

    /// <summary>The largest whole number not above the product.</summary>
    public static long Floor(double product) => (long)Math.Floor(Settled(product));

    private static double Settled(double product) => Math.Round(product, 9);
}
