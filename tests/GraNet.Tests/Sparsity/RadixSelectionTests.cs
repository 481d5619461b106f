using GraNet.Sparsity.Criteria;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

public class RadixSelectionTests
{
    private static bool[] Values(Tensor selected) => selected.data<bool>().ToArray();

    [Fact]
    public void Ties_at_the_threshold_go_to_the_lower_index_across_tensors()
    {
        // Scores 5 | 3 3 | 3 1 with k = 3: 5 and the first two 3s (tensor order, then position).
        using var a = tensor(new float[] { 5, 3, 3 });
        using var b = tensor(new float[] { 3, 1 });
        var chosen = RadixSelection.Select([new(a, null), new(b, null)], 3);
        Assert.Equal([true, true, true], Values(chosen[0]));
        Assert.Equal([false, false], Values(chosen[1]));
    }

    [Fact]
    public void Only_eligible_entries_are_selected_and_magnitude_compares_absolute_values()
    {
        // |w| = 4 2 9 1 0.5, with 9 not eligible: the two largest eligible magnitudes are -4 and 2.
        using var w = tensor(new float[] { -4, 2, 9, -1, 0.5f });
        using var eligible = tensor(new[] { true, true, false, true, true });
        var chosen = RadixSelection.Select([new(w, eligible)], 2, magnitude: true)[0];
        Assert.Equal([true, true, false, false, false], Values(chosen));
        var smallest = RadixSelection.Select([new(w, eligible)], 2, smallest: true, magnitude: true)[0];
        Assert.Equal([false, false, false, true, true], Values(smallest));
    }

    [Fact]
    public void Signed_scores_keep_their_order_including_negative_zero_and_infinities()
    {
        using var scores = tensor(new[] { -2f, float.NegativeInfinity, 0.5f, -0f, float.PositiveInfinity, -0.25f });
        Assert.Equal([false, false, true, false, true, false], Values(RadixSelection.Select([new(scores, null)], 2)[0]));
        Assert.Equal([true, true, false, false, false, false], Values(RadixSelection.Select([new(scores, null)], 2, smallest: true)[0]));
    }

    [Fact]
    public void Asking_for_none_or_for_more_than_are_eligible()
    {
        using var scores = tensor(new float[] { 1, 2, 3 });
        using var eligible = tensor(new[] { true, false, true });
        Assert.Equal([false, false, false], Values(RadixSelection.Select([new(scores, eligible)], 0)[0]));
        Assert.Equal([true, false, true], Values(RadixSelection.Select([new(scores, eligible)], 5)[0]));
    }

    [Fact]
    public void Heavy_ties_at_the_threshold_go_to_the_lower_index_across_tensors()
    {
        // 224,995 eligible entries tie at 1, too many to collect from the threshold bucket, so a
        // third pass resolves them. a: 150,000 ones, all eligible. b: 150,000 entries, 2 at
        // positions 0..9 and 1 elsewhere, eligible at even positions. k = 200,005 takes b's five
        // eligible 2s (0, 2, 4, 6, 8), then 200,000 ties by index: all of a, and b's first 50,000
        // eligible ones, the even positions 10..100,008.
        var bValues = Enumerable.Range(0, 150_000).Select(i => i < 10 ? 2f : 1f).ToArray();
        using var a = tensor(Enumerable.Repeat(1f, 150_000).ToArray());
        using var b = tensor(bValues);
        using var eligible = tensor(Enumerable.Range(0, 150_000).Select(i => i % 2 == 0).ToArray());
        var chosen = RadixSelection.Select([new(a, null), new(b, eligible)], 200_005);
        Assert.All(Values(chosen[0]), Assert.True);
        var selected = Values(chosen[1]);
        for (int i = 0; i < selected.Length; i++)
        {
            Assert.Equal(i % 2 == 0 && i <= 100_008, selected[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void It_selects_exactly_what_the_libtorch_selection_selects(int seed)
    {
        // Rounded scores give many ties; both must agree entry for entry.
        manual_seed(seed);
        using var raw = randn(5000);
        using Scalar twenty = 20.ToScalar(), share = 0.3.ToScalar();
        using var scores = raw.mul(twenty).round_().div_(twenty);
        using var uniform = rand(5000);
        using var eligible = uniform.lt(share);
        long k = 400 + (seed * 100);
        using var expected = ExactSelection.Largest(scores, k, eligible);
        var actual = RadixSelection.Select([new(scores, eligible)], k)[0];
        Assert.Equal(k, actual.count_nonzero().item<long>());
        Assert.Equal(Values(expected), Values(actual));
    }
}
