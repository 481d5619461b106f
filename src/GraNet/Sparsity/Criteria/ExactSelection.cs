using GraNet.Runtime;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Selects exactly <c>k</c> entries of a score vector by selection (<c>kthvalue</c>, linear
/// time), never by a full sort. Ties at the threshold are broken deterministically: the entry
/// with the lower index wins. Works on any device; <see cref="RadixSelection"/> is the faster
/// path for CPU tensors.
/// </summary>
public static class ExactSelection
{
    /// <summary>A boolean tensor shaped like <paramref name="scores"/> that is true at its <paramref name="k"/> largest entries.</summary>
    public static Tensor Largest(Tensor scores, long k) => Select(scores, k, null);

    /// <summary>The <paramref name="k"/> smallest entries (ties: lower index).</summary>
    public static Tensor Smallest(Tensor scores, long k)
    {
        ArgumentNullException.ThrowIfNull(scores);
        using var negated = scores.neg();
        return Select(negated, k, null);
    }

    /// <summary>
    /// Like <see cref="Largest(Tensor, long)"/> among the entries where <paramref name="eligible"/>
    /// is true only: the threshold is found by selection over those entries alone. Entries
    /// outside are never selected; if <paramref name="k"/> is not below the eligible count, all
    /// eligible entries are.
    /// </summary>
    public static Tensor Largest(Tensor scores, long k, Tensor eligible)
    {
        ArgumentNullException.ThrowIfNull(eligible);
        return Select(scores, k, eligible);
    }

    /// <summary>The <paramref name="k"/> smallest entries among the eligible ones (see <see cref="Largest(Tensor, long, Tensor)"/>).</summary>
    public static Tensor Smallest(Tensor scores, long k, Tensor eligible)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(eligible);
        using var negated = scores.neg();
        return Select(negated, k, eligible);
    }

    private static Tensor Select(Tensor scores, long k, Tensor? eligible)
    {
        ArgumentNullException.ThrowIfNull(scores);
        using var flat = scores.flatten();
        using var allowed = eligible?.flatten();
        using var candidates = allowed is null ? flat.alias() : flat.masked_select(allowed);
        long n = candidates.numel();
        if (k <= 0)
        {
            return zeros_like(scores, ScalarType.Bool);
        }
        if (k >= n)
        {
            // Shaped like the scores, as every other answer: the eligible mask need only have their size.
            if (eligible is null)
            {
                return ones_like(scores, ScalarType.Bool);
            }
            using var all = eligible.to_type(ScalarType.Bool);
            using var shaped = all.reshape(scores.shape);
            return shaped.clone();
        }
        var (values, indices) = candidates.kthvalue(n - k + 1, 0, false);
        using var threshold = values;
        indices.Dispose();
        using var greater = flat.gt(threshold);
        var selected = allowed is null ? greater.clone() : greater.logical_and(allowed);
        using var aboveCount = selected.sum();
        long need = k - aboveCount.item<long>();
        if (need > 0)
        {
            using var equal = flat.eq(threshold);
            using var tied = allowed is null ? equal.alias() : equal.logical_and(allowed);
            using var ties = tied.nonzero().flatten();
            using var take = ties.narrow(0, 0, need);
            selected.index_fill_(0, take, HeldScalars.True);
        }
        using (selected)
        {
            return selected.reshape(scores.shape);
        }
    }
}
