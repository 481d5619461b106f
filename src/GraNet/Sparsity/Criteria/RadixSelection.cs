using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GraNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Exact selection of the <c>k</c> largest (or smallest) scores among eligible entries, spread
/// over several tensors, by a two-pass radix select on the scores' order-preserving 32-bit keys:
/// a histogram of the upper 16 bits finds the bucket holding the threshold, a histogram of the
/// lower 16 bits within that bucket finds the threshold itself, and a third pass writes the
/// selection, taking ties at the threshold in index order (tensor order, then position), as
/// <see cref="ExactSelection"/> does. Linear time, no sort, and no temporary tensor as large as
/// the weights: it reads the CPU tensors' memory in place. <see cref="Supports"/> tells whether a
/// tensor can be read so (contiguous float32 on the CPU; masks bool).
/// </summary>
public static class RadixSelection
{
    private const int Buckets = 1 << 16;

    /// <summary>A score tensor and, optionally, a bool tensor of the same size saying which entries may be selected.</summary>
    public readonly record struct Segment(Tensor Scores, Tensor? Eligible);

    public static bool Supports(Tensor scores, Tensor? eligible) =>
        scores is not null && scores.device_type == DeviceType.CPU && scores.dtype == ScalarType.Float32 && scores.is_contiguous()
        && (eligible is null || (eligible.device_type == DeviceType.CPU && eligible.dtype == ScalarType.Bool && eligible.is_contiguous() && eligible.numel() == scores.numel()));

    /// <summary>
    /// One bool tensor per segment (shaped like its scores), true at the <paramref name="k"/>
    /// largest eligible scores overall (smallest with <paramref name="smallest"/>); with
    /// <paramref name="magnitude"/>, scores are compared by absolute value. If fewer than
    /// <paramref name="k"/> entries are eligible, all of them are selected. NaN scores are not checked (their order differs from libtorch's; callers score finite values).
    /// </summary>
    public static Tensor[] Select(IReadOnlyList<Segment> segments, long k, bool smallest = false, bool magnitude = false)
    {
        ArgumentNullException.ThrowIfNull(segments);
        foreach (var segment in segments)
        {
            if (!Supports(segment.Scores, segment.Eligible))
            {
                throw new ArgumentException("Radix selection reads contiguous float32 scores and bool masks on the CPU.", nameof(segments));
            }
        }
        var upper = new long[Buckets];
        long eligibleCount = 0;
        foreach (var segment in segments)
        {
            eligibleCount += Histogram(segment, upper, smallest, magnitude, bucket: -1);
        }
        if (k <= 0 || k >= eligibleCount)
        {
            return segments.Select(s => Fill(s, k > 0)).ToArray();
        }
        var (high, aboveHigh) = Find(upper, k);
        var lower = new long[Buckets];
        foreach (var segment in segments)
        {
            Histogram(segment, lower, smallest, magnitude, bucket: high);
        }
        var (low, aboveLow) = Find(lower, k - aboveHigh);
        uint threshold = ((uint)high << 16) | (uint)low;
        long ties = k - aboveHigh - aboveLow;
        var result = new Tensor[segments.Count];
        for (int s = 0; s < segments.Count; s++)
        {
            result[s] = Write(segments[s], threshold, ref ties, smallest, magnitude);
        }
        return result;
    }

    /// <summary>
    /// An order-preserving unsigned key: larger scores get larger keys (smaller ones with <paramref name="smallest"/>); −0 and
    /// +0 get the same key, as they compare equal (a tie, to the lower index). NaN is not given a defined place.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Key(float value, bool smallest, bool magnitude)
    {
        // Signed: −0 + 0 is +0 in IEEE arithmetic (and the JIT keeps the addition, since x + 0 is not x for x = −0). By
        // magnitude the sign bit is dropped below anyway.
        int bits = BitConverter.SingleToInt32Bits(magnitude ? value : value + 0f);
        // Branch-free for signed scores: positive values get the top bit set, negative ones are inverted.
        uint key = magnitude ? (uint)(bits & 0x7FFFFFFF) : (uint)bits ^ ((uint)(bits >> 31) | 0x80000000u);
        return smallest ? ~key : key;
    }

    /// <summary>Counts eligible keys by their upper 16 bits, or (for <paramref name="bucket"/> ≥ 0) by their lower 16 bits within that upper bucket. Returns the eligible count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Histogram(Segment segment, long[] counts, bool smallest, bool magnitude, int bucket)
    {
        // Branch-free: eligibility is added as 0 or 1, since masks are random enough to defeat branch prediction.
        var scores = MemoryMarshal.Cast<byte, float>(segment.Scores.bytes);
        var eligible = segment.Eligible is null ? default : segment.Eligible.bytes;
        bool all = segment.Eligible is null;
        long count = 0;
        uint wanted = (uint)bucket;
        for (int i = 0; i < scores.Length; i++)
        {
            int take = all ? 1 : eligible[i];
            uint key = Key(scores[i], smallest, magnitude);
            count += take;
            if (bucket < 0)
            {
                counts[key >> 16] += take;
            }
            else
            {
                counts[key & 0xFFFF] += take & ((key >> 16) == wanted ? 1 : 0);
            }
        }
        return count;
    }

    /// <summary>The bucket holding the <paramref name="k"/>-th largest key, and how many keys lie in higher buckets.</summary>
    private static (int Bucket, long Above) Find(long[] counts, long k)
    {
        long above = 0;
        for (int b = Buckets - 1; b >= 0; b--)
        {
            if (above + counts[b] >= k)
            {
                return (b, above);
            }
            above += counts[b];
        }
        throw new InvalidOperationException("Fewer eligible entries than requested; checked before.");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Tensor Write(Segment segment, uint threshold, ref long ties, bool smallest, bool magnitude)
    {
        var scores = MemoryMarshal.Cast<byte, float>(segment.Scores.bytes);
        var eligible = segment.Eligible is null ? default : segment.Eligible.bytes;
        bool all = segment.Eligible is null;
        var selected = empty(segment.Scores.shape, ScalarType.Bool);
        var output = selected.bytes;
        for (int i = 0; i < scores.Length; i++)
        {
            int ok = all ? 1 : eligible[i];
            uint key = Key(scores[i], smallest, magnitude);
            int take = ok & (key > threshold ? 1 : 0);
            if (key == threshold && ok != 0 && ties > 0)
            {
                take = 1;
                ties--;
            }
            output[i] = (byte)take;
        }
        return selected;
    }

    private static Tensor Fill(Segment segment, bool value) =>
        segment.Eligible is { } eligible && value ? eligible.clone() : full(segment.Scores.shape, value ? HeldScalars.True : HeldScalars.False, ScalarType.Bool);
}
