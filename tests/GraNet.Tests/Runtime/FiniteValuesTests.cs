using GraNet.Runtime;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Runtime;

public class FiniteValuesTests
{
    [Fact]
    public void Nan_and_infinities_are_counted_wherever_they_are_and_extreme_finite_values_are_not()
    {
        // 37 values: several whole vectors and a tail, whatever the vector width (4, 8 or 16 floats).
        float[] values = [.. Enumerable.Range(0, 37).Select(i => (float)i)];
        values[0] = float.MaxValue;
        values[1] = -float.MaxValue;
        values[2] = float.Epsilon; // the smallest subnormal
        values[3] = -0f;
        values[5] = float.NaN;
        values[17] = float.PositiveInfinity;
        values[36] = float.NegativeInfinity; // in the tail
        values[35] = BitConverter.Int32BitsToSingle(0x7FC00001); // a NaN with its sign bit clear and a payload
        using var single = tensor(values);
        Assert.Equal(4, FiniteValues.CountNonFinite(single));
        // The same values as float64, non-contiguous: libtorch's isfinite.
        using var wide = single.to_type(ScalarType.Float64);
        Assert.Equal(4, FiniteValues.CountNonFinite(wide));
        using var strided = stack([single, single], 1).select(1, 0);
        Assert.False(strided.is_contiguous());
        Assert.Equal(4, FiniteValues.CountNonFinite(strided));
        using var finite = randn(1000);
        Assert.Equal(0, FiniteValues.CountNonFinite(finite));
        using var none = zeros(0);
        Assert.Equal(0, FiniteValues.CountNonFinite(none));
    }
}
