using CsCheck;
using GraNet.Sparsity.Criteria;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Properties;

/// <summary>
/// Exact top-k selection (ExactSelection by libtorch's kthvalue, RadixSelection in place): exactly k entries, the ones a
/// sort would give, ties to the lower index (tensor order, then position), never an ineligible entry.
/// </summary>
public class SelectionProperties
{
    /// <summary>A rows x columns score matrix, an eligibility mask of its shape, k from −1 to past the size, largest or smallest.</summary>
    private static readonly Gen<(int Rows, float[] Scores, bool[] Eligible, long K, bool Smallest)> Matrix =
        Gen.Select(Gen.Int[1, 9], Gen.Int[1, 9]).SelectMany((rows, columns) =>
            Gen.Select(Reference.TiedScore.Array[rows * columns], Gen.Bool.Array[rows * columns], Gen.Long[-1, (rows * columns) + 2], Gen.Bool)
                .Select((scores, eligible, k, smallest) => (rows, scores, eligible, k, smallest)));

    [Fact]
    public void Exact_selection_takes_exactly_k_entries_a_sort_would_take_in_the_shape_of_the_scores() =>
        Property.ForAll(Matrix, input =>
        {
            var (rows, values, _, k, smallest) = input;
            using var scope = NewDisposeScope();
            var scores = tensor(values).reshape(rows, values.Length / rows);
            var selected = smallest ? ExactSelection.Smallest(scores, k) : ExactSelection.Largest(scores, k);
            Assert.Equal(scores.shape, selected.shape);
            Assert.Equal(ScalarType.Bool, selected.dtype);
            bool[] expected = Reference.Select(values.Select(v => (double)v).ToArray(), null, k, smallest);
            Assert.Equal(Reference.Show(expected), Reference.Show(Reference.Bools(selected)));
        }, iterations: 300);

    [Fact]
    public void Exact_selection_among_eligible_entries_takes_min_k_eligible_a_sort_would_take_and_no_other() =>
        Property.ForAll(Matrix, input =>
        {
            var (rows, values, allowed, k, smallest) = input;
            using var scope = NewDisposeScope();
            long[] shape = [rows, values.Length / rows];
            var scores = tensor(values).reshape(shape);
            var eligible = tensor(allowed).reshape(shape);
            var selected = smallest ? ExactSelection.Smallest(scores, k, eligible) : ExactSelection.Largest(scores, k, eligible);
            Assert.Equal(scores.shape, selected.shape);
            bool[] expected = Reference.Select(values.Select(v => (double)v).ToArray(), allowed, k, smallest);
            Assert.Equal(Reference.Show(expected), Reference.Show(Reference.Bools(selected)));
        }, iterations: 300);

    [Fact]
    public void Selection_is_shaped_like_the_scores_also_when_the_eligible_mask_is_flat_and_k_takes_every_eligible_entry() =>
        // The eligible mask need only have the scores' size (RadixSelection.Supports checks numel; ExactSelection flattens
        // it). Below the eligible count the selection was shaped like the scores, from it on like the mask (a clone of it).
        Property.ForAll(Matrix, input =>
        {
            var (rows, values, allowed, k, smallest) = input;
            using var scope = NewDisposeScope();
            var scores = tensor(values).reshape(rows, values.Length / rows);
            var eligible = tensor(allowed);
            bool[] expected = Reference.Select(values.Select(v => (double)v).ToArray(), allowed, k, smallest);
            var exact = smallest ? ExactSelection.Smallest(scores, k, eligible) : ExactSelection.Largest(scores, k, eligible);
            var radix = RadixSelection.Select([new(scores, eligible)], k, smallest)[0];
            foreach (var selected in new[] { exact, radix })
            {
                Assert.Equal(scores.shape, selected.shape);
                Assert.Equal(Reference.Show(expected), Reference.Show(Reference.Bools(selected)));
            }
            // The answer is a tensor of its own: the caller's mask is still there, unchanged.
            Assert.Equal(Reference.Show(allowed), Reference.Show(Reference.Bools(eligible)));
        }, iterations: 300);

    /// <summary>1 to 4 segments of 1 to 40 scores (sizes off the 8-wide vector blocks too), each with or without eligibility.</summary>
    private static readonly Gen<(float[] Scores, bool[]? Eligible)[]> Segments =
        Gen.Int[1, 40].SelectMany(n => Gen.Select(Reference.TiedScore.Array[n], Gen.Null(Gen.Bool.Array[n], 0.3))).Array[1, 4];

    [Fact]
    public void Radix_selection_over_segments_takes_exactly_k_eligible_entries_a_sort_would_take() =>
        Property.ForAll(Gen.Select(Segments, Gen.Double[-0.05, 1.1], Gen.Bool, Gen.Bool), input =>
        {
            var (segments, share, smallest, magnitude) = input;
            using var scope = NewDisposeScope();
            int total = segments.Sum(s => s.Scores.Length);
            long k = (long)Math.Floor(share * total);
            var tensors = segments.Select(s => new RadixSelection.Segment(tensor(s.Scores), s.Eligible is null ? null : tensor(s.Eligible))).ToList();
            var selected = RadixSelection.Select(tensors, k, smallest, magnitude);
            // The reference: all segments as one sequence (tensor order, then position).
            double[] keys = segments.SelectMany(s => s.Scores).Select(v => magnitude ? Math.Abs((double)v) : v).ToArray();
            bool[] eligible = segments.SelectMany(s => s.Eligible ?? Enumerable.Repeat(true, s.Scores.Length)).ToArray();
            bool[] expected = Reference.Select(keys, eligible, k, smallest);
            Assert.Equal(segments.Length, selected.Length);
            for (int s = 0; s < segments.Length; s++)
            {
                Assert.Equal(tensors[s].Scores.shape, selected[s].shape);
            }
            Assert.Equal(Reference.Show(expected), Reference.Show(selected.SelectMany(Reference.Bools).ToArray()));
        }, iterations: 300);

    [Fact]
    public void Radix_selection_resolves_heavy_ties_in_a_third_pass_exactly_as_a_sort() =>
        // More than 65,536 eligible keys in the threshold's upper bucket (1.0f and the next few floats share their upper 16
        // bits): too many to collect, so the lower bits are counted in a second full pass and a third writes the selection.
        Property.ForAll(Gen.Select(Gen.Int[67_000, 71_000], Gen.Int[1, 2], Gen.Bool, Gen.Int, Gen.Double[0.001, 0.999]), input =>
        {
            var (total, count, smallest, seed, share) = input;
            using var scope = NewDisposeScope();
            var random = new Random(seed);
            float[] values = Enumerable.Range(0, total).Select(_ => BitConverter.Int32BitsToSingle(0x3F800000 + random.Next(4))).ToArray();
            bool[] allowed = Enumerable.Range(0, total).Select(_ => random.Next(500) != 0).ToArray();
            long k = (long)(share * allowed.Count(a => a));
            int first = count == 1 ? total : random.Next(1, total);
            var segments = new List<RadixSelection.Segment>
            {
                new(tensor(values[..first]), tensor(allowed[..first])),
            };
            if (first < total)
            {
                segments.Add(new(tensor(values[first..]), tensor(allowed[first..])));
            }
            var selected = RadixSelection.Select(segments, k, smallest);
            bool[] expected = Reference.Select(values.Select(v => (double)v).ToArray(), allowed, k, smallest);
            bool[] actual = selected.SelectMany(Reference.Bools).ToArray();
            Assert.Equal(k, actual.LongCount(a => a));
            int difference = Enumerable.Range(0, total).FirstOrDefault(i => expected[i] != actual[i], -1);
            Assert.True(difference < 0, $"entry {difference}: selected {actual[Math.Max(0, difference)]}, a sort says {expected[Math.Max(0, difference)]}");
        }, iterations: 12);
}
