using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Selects exactly <c>k</c> entries of a score vector by selection (<c>kthvalue</c>, linear
/// time), never by a full sort. Ties at the threshold are broken deterministically: the entry
/// with the lower index wins.
/// </summary>
public static class ExactSelection
{
    /// <summary>A boolean tensor shaped like <paramref name="scores"/> that is true at its <paramref name="k"/> largest entries.</summary>
    public static Tensor Largest(Tensor scores, long k)
    {
        ArgumentNullException.ThrowIfNull(scores);
        using var flat = scores.flatten();
        long n = flat.numel();
        if (k <= 0)
        {
            return zeros_like(scores, ScalarType.Bool);
        }
        if (k >= n)
        {
            return ones_like(scores, ScalarType.Bool);
        }
        var (values, indices) = flat.kthvalue(n - k + 1, 0, false);
        using var threshold = values;
        indices.Dispose();
        using var above = flat.gt(threshold);
        using var aboveCount = above.sum();
        long need = k - aboveCount.item<long>();
        var selected = above.clone();
        if (need > 0)
        {
            using var equal = flat.eq(threshold);
            using var ties = equal.nonzero().flatten();
            using var take = ties.narrow(0, 0, need);
            selected.index_fill_(0, take, true);
        }
        using (selected)
        {
            return selected.reshape(scores.shape);
        }
    }

    /// <summary>A boolean tensor that is true at the <paramref name="k"/> smallest entries of <paramref name="scores"/>.</summary>
    public static Tensor Smallest(Tensor scores, long k)
    {
        ArgumentNullException.ThrowIfNull(scores);
        using var negated = scores.neg();
        return Largest(negated, k);
    }
}
