using CsCheck;
using GraNet.Sparsity;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using Xunit;

namespace GraNet.Tests.Properties;

/// <summary>
/// The whole counts of the spec ("Counts"): kept weights <c>round(d · N)</c> (halves away from zero) and moved weights
/// <c>ceil(r · n)</c> of a fraction meant exactly, whatever floating-point noise its product carries.
/// </summary>
public class WholeCountProperties
{
    [Fact]
    public void Counts_of_a_decimal_fraction_equal_the_exact_rational_ones() =>
        // d = m / 10^j (what a user types: 0.29, 0.05, 0.125), N up to 10^6: m · N / 10^j in integers is the exact product.
        Property.ForAll(Gen.Select(Gen.Int[1, 3], Gen.Long[0, 1000], Gen.Long[1, 1_000_000]), input =>
        {
            var (digits, m, n) = input;
            long q = digits switch { 1 => 10, 2 => 100, _ => 1000 };
            m %= q + 1;
            double d = (double)m / q;
            long product = m * n; // the exact product is product / q
            long round = ((2 * product) + q) / (2 * q); // halves up (all non-negative)
            long ceiling = (product + q - 1) / q;
            long floor = product / q;
            Assert.Equal(round, WholeCounts.Round(d * n));
            Assert.Equal(ceiling, WholeCounts.Ceiling(d * n));
            Assert.Equal(floor, WholeCounts.Floor(d * n));
            Assert.Equal(round, MaskedLayer.KeepCount(d, n));
            Assert.Equal(Math.Min(n, ceiling), Regenerator.MoveCount(d, n));
        }, iterations: 2000);

    [Fact]
    public void Counts_of_a_fraction_whose_product_is_a_whole_or_half_number_are_exact() =>
        // d = h / (2N): the product is meant to be h / 2 exactly; d · N in floating point may land a last bit off it.
        Property.ForAll(Gen.Select(Gen.Long[1, 1_000_000], Gen.Double[0, 1]), input =>
        {
            var (n, share) = input;
            long h = (long)(share * 2 * n);
            double d = h / (2.0 * n);
            Assert.Equal((h + 1) / 2, MaskedLayer.KeepCount(d, n)); // h/2 rounded, halves up
            Assert.Equal((h + 1) / 2, Regenerator.MoveCount(d, n)); // ceil(h/2)
            Assert.Equal(h / 2, WholeCounts.Floor(d * n));
        }, iterations: 2000);
}
