using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Selects exactly <c>k</c> entries of a score vector by selection (<c>kthvalue</c>, linear
/// time), never by a full sort. Ties at the threshold are broken deterministically: the entry
/// with the lower index wins.
/// </summary>
public static class ExactSelection
{
    /// <summary>
    /// Like <see cref="Largest(Tensor, long)"/> among the entries where <paramref name="eligible"/>
    /// is true only: the threshold is found by selection over those entries alone, which is
    /// several times faster when they are few (the active weights of a sparse network). Entries
    /// outside are never selected; if <paramref name="k"/> is not below the eligible count, all
    /// eligible entries are.
    /// </summary>
    public static Tensor Largest(Tensor scores, long k, Tensor eligible)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(eligible);
        using var flat = scores.flatten();
        using var allowed = eligible.flatten();
        using var candidates = flat.masked_select(allowed);
        long n = candidates.numel();
        if (k <= 0)
        {
            return zeros_like(scores, ScalarType.Bool);
        }
        if (k >= n)
        {
            return eligible.to_type(ScalarType.Bool).clone();
        }
        var (values, indices) = candidates.kthvalue(n - k + 1, 0, false);
        using var threshold = values;
        indices.Dispose();
        using var greater = flat.gt(threshold);
        var selected = greater.logical_and(allowed);
        using var aboveCount = selected.sum();
        long need = k - aboveCount.item<long>();
        if (need > 0)
        {
            using var equal = flat.eq(threshold);
            using var eligibleEqual = equal.logical_and(allowed);
            using var ties = eligibleEqual.nonzero().flatten();
            using var take = ties.narrow(0, 0, need);
            selected.index_fill_(0, take, true);
        }
        using (selected)
        {
            return selected.reshape(scores.shape);
        }
    }

    /// <summary>The <paramref name="k"/> smallest entries among the eligible ones (see <see cref="Largest(Tensor, long, Tensor)"/>).</summary>
    public static Tensor Smallest(Tensor scores, long k, Tensor eligible)
    {
        ArgumentNullException.ThrowIfNull(scores);
        using var negated = scores.neg();
        return Largest(negated, k, eligible);
    }

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
