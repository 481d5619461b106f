using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GraNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// Exact selection of the <c>k</c> largest (or smallest) scores among eligible entries, spread
/// over several tensors, by a radix select on the scores' order-preserving 32-bit keys: a
/// histogram of the upper 16 bits finds the bucket holding the threshold; a second pass writes
/// the selection of every key above that bucket and collects the eligible keys inside it (in
/// index order) into a buffer, whose histogram of the lower 16 bits finds the threshold itself.
/// Ties at the threshold are taken in index order (tensor order, then position), as
/// <see cref="ExactSelection"/> does. When the threshold bucket holds too many keys for a buffer
/// (heavily tied scores), a second full pass counts the lower 16 bits instead and a third writes
/// the selection. Linear time, no sort, and no temporary tensor as large as the weights: it reads
/// the CPU tensors' memory in place. <see cref="Supports"/> tells whether a tensor can be read so
/// (contiguous float32 on the CPU; masks bool).
/// </summary>
public static class RadixSelection
{
    private const int Buckets = 1 << 16;

    /// <summary>Most keys collected from the threshold bucket (8 bytes each) before falling back to a third pass; at least this many, or an eighth of the entries.</summary>
    private const int MinBufferCapacity = 1 << 16;

    /// <summary>The 8 bytes (0 or 1) of 8 bits, low bit first: spreads a vector comparison's bit mask over 8 bool bytes.</summary>
    private static readonly ulong[] Spread = BuildSpread();

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
        long total = 0;
        foreach (var segment in segments)
        {
            if (!Supports(segment.Scores, segment.Eligible))
            {
                throw new ArgumentException("Radix selection reads contiguous float32 scores and bool masks on the CPU.", nameof(segments));
            }
            total += segment.Scores.numel();
        }
        var map = new KeyMap(smallest, magnitude);
        // 32-bit counts keep the histogram in a quarter of a megabyte (cache-resident); they are
        // added into 64-bit ones before they could overflow.
        var upper = new long[Buckets];
        var counts = new uint[Buckets];
        long pending = 0;
        foreach (var segment in segments)
        {
            long n = segment.Scores.numel();
            if (pending + n > uint.MaxValue)
            {
                Flush(counts, upper);
                pending = 0;
            }
            UpperHistogram(segment, counts, map);
            pending += n;
        }
        Flush(counts, upper);
        long eligibleCount = 0;
        foreach (long c in upper)
        {
            eligibleCount += c;
        }
        if (k <= 0 || k >= eligibleCount)
        {
            return segments.Select(s => Fill(s, k > 0)).ToArray();
        }
        var (high, aboveHigh) = Find(upper, k);
        long inBucket = upper[high];
        var result = new Tensor[segments.Count];
        if (inBucket <= Math.Max(MinBufferCapacity, total / 8) && inBucket < (1 << 30) && segments.Count < (1 << 17))
        {
            // Two passes: write everything above the bucket, collect the bucket, resolve it.
            var buffer = new ulong[inBucket + 1];
            int collected = 0;
            for (int s = 0; s < segments.Count; s++)
            {
                result[s] = WriteAndCollect(segments[s], (uint)high, map, buffer, ref collected, (ulong)s << 47);
            }
            Array.Clear(counts);
            for (int i = 0; i < collected; i++)
            {
                counts[(int)(buffer[i] & 0xFFFF)]++;
            }
            Array.Clear(upper);
            Flush(counts, upper);
            var (low, aboveLow) = Find(upper, k - aboveHigh);
            long ties = k - aboveHigh - aboveLow;
            int current = -1;
            Span<byte> output = default;
            for (int i = 0; i < collected; i++)
            {
                ulong entry = buffer[i];
                int lowKey = (int)(entry & 0xFFFF);
                bool take = lowKey > low;
                if (lowKey == low && ties > 0)
                {
                    take = true;
                    ties--;
                }
                if (take)
                {
                    int s = (int)(entry >> 47);
                    if (s != current)
                    {
                        current = s;
                        output = result[s].bytes;
                    }
                    output[(int)((entry >> 16) & 0x7FFFFFFF)] = 1;
                }
            }
            return result;
        }
        Array.Clear(counts);
        Array.Clear(upper);
        pending = 0;
        foreach (var segment in segments)
        {
            long n = segment.Scores.numel();
            if (pending + n > uint.MaxValue)
            {
                Flush(counts, upper);
                pending = 0;
            }
            LowerHistogram(segment, counts, map, (uint)high);
            pending += n;
        }
        Flush(counts, upper);
        var (lowBucket, aboveLowBucket) = Find(upper, k - aboveHigh);
        uint threshold = ((uint)high << 16) | (uint)lowBucket;
        long remaining = k - aboveHigh - aboveLowBucket;
        for (int s = 0; s < segments.Count; s++)
        {
            result[s] = Write(segments[s], threshold, ref remaining, map);
        }
        return result;
    }

    /// <summary>
    /// An order-preserving unsigned key: larger scores get larger keys (smaller ones with smallest); −0 and
    /// +0 get the same key, as they compare equal (a tie, to the lower index). NaN is not given a defined place.
    /// Signed: positive values get the top bit set, negative ones are inverted; magnitude: the sign bit is cleared;
    /// smallest: all bits are inverted. As key = (bits &amp; And) ^ ((bits >> 31) &amp; Sign) ^ Xor, branch-free.
    /// </summary>
    private readonly struct KeyMap
    {
        public readonly uint And;
        public readonly uint Sign;
        public readonly uint Xor;

        public KeyMap(bool smallest, bool magnitude)
        {
            uint flip = smallest ? 0xFFFFFFFFu : 0u;
            And = magnitude ? 0x7FFFFFFFu : 0xFFFFFFFFu;
            Sign = magnitude ? 0u : 0x7FFFFFFFu;
            Xor = (magnitude ? 0u : 0x80000000u) ^ flip;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint Key(uint bits)
        {
            // −0 becomes +0.
            bits = bits == 0x80000000u ? 0u : bits;
            return (bits & And) ^ ((uint)((int)bits >> 31) & Sign) ^ Xor;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<uint> Key(Vector256<uint> bits)
        {
            bits = Vector256.AndNot(bits, Vector256.Equals(bits, Vector256.Create(0x80000000u)));
            var sign = Vector256.ShiftRightArithmetic(bits.AsInt32(), 31).AsUInt32();
            return (bits & Vector256.Create(And)) ^ (sign & Vector256.Create(Sign)) ^ Vector256.Create(Xor);
        }
    }

    private static void Flush(uint[] counts, long[] wide)
    {
        for (int b = 0; b < Buckets; b++)
        {
            wide[b] += counts[b];
        }
        Array.Clear(counts);
    }

    private static ulong[] BuildSpread()
    {
        var table = new ulong[256];
        for (int bits = 0; bits < 256; bits++)
        {
            for (int j = 0; j < 8; j++)
            {
                table[bits] |= (ulong)((bits >> j) & 1) << (8 * j);
            }
        }
        return table;
    }

    /// <summary>Counts eligible keys by their upper 16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void UpperHistogram(Segment segment, uint[] counts, KeyMap map)
    {
        // Branch-free: eligibility is added as 0 or 1, since masks are random enough to defeat branch prediction.
        var scores = MemoryMarshal.Cast<byte, uint>(segment.Scores.bytes);
        var eligible = segment.Eligible is null ? default : segment.Eligible.bytes;
        bool all = segment.Eligible is null;
        int n = scores.Length;
        var keys = stackalloc uint[8];
        fixed (uint* x = scores)
        fixed (byte* e = eligible)
        fixed (uint* c = counts)
        {
            int i = 0;
            int vectorEnd = VectorEnd(n);
            for (; i < vectorEnd; i += 8)
            {
                var upperKeys = Vector256.ShiftRightLogical(map.Key(Vector256.Load(x + i)), 16);
                upperKeys.Store(keys);
                ulong take = all ? 0x0101010101010101ul : *(ulong*)(e + i);
                c[keys[0]] += (uint)take & 1;
                c[keys[1]] += (uint)(take >> 8) & 1;
                c[keys[2]] += (uint)(take >> 16) & 1;
                c[keys[3]] += (uint)(take >> 24) & 1;
                c[keys[4]] += (uint)(take >> 32) & 1;
                c[keys[5]] += (uint)(take >> 40) & 1;
                c[keys[6]] += (uint)(take >> 48) & 1;
                c[keys[7]] += (uint)(take >> 56);
            }
            for (; i < n; i++)
            {
                c[map.Key(x[i]) >> 16] += all ? 1u : e[i];
            }
        }
    }

    /// <summary>Counts eligible keys of the upper bucket <paramref name="wanted"/> by their lower 16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LowerHistogram(Segment segment, uint[] counts, KeyMap map, uint wanted)
    {
        var scores = MemoryMarshal.Cast<byte, uint>(segment.Scores.bytes);
        var eligible = segment.Eligible is null ? default : segment.Eligible.bytes;
        bool all = segment.Eligible is null;
        int n = scores.Length;
        fixed (uint* x = scores)
        fixed (byte* e = eligible)
        fixed (uint* c = counts)
        {
            var keys = stackalloc uint[8];
            var upperWanted = Vector256.Create(wanted);
            int i = 0;
            int vectorEnd = VectorEnd(n);
            for (; i < vectorEnd; i += 8)
            {
                var full = map.Key(Vector256.Load(x + i));
                uint inBucket = Vector256.Equals(Vector256.ShiftRightLogical(full, 16), upperWanted).ExtractMostSignificantBits();
                if (inBucket == 0)
                {
                    continue;
                }
                (full & Vector256.Create(0xFFFFu)).Store(keys);
                uint take = inBucket & (all ? 0xFFu : Bits(*(ulong*)(e + i)));
                c[keys[0]] += take & 1;
                c[keys[1]] += (take >> 1) & 1;
                c[keys[2]] += (take >> 2) & 1;
                c[keys[3]] += (take >> 3) & 1;
                c[keys[4]] += (take >> 4) & 1;
                c[keys[5]] += (take >> 5) & 1;
                c[keys[6]] += (take >> 6) & 1;
                c[keys[7]] += take >> 7;
            }
            for (; i < n; i++)
            {
                uint key = map.Key(x[i]);
                uint take = all ? 1u : e[i];
                c[key & 0xFFFF] += take & ((key >> 16) == wanted ? 1u : 0u);
            }
        }
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

    /// <summary>
    /// Selects the eligible entries whose upper 16 key bits exceed <paramref name="high"/>, and appends the eligible
    /// entries of bucket <paramref name="high"/> to <paramref name="buffer"/> as tag | position &lt;&lt; 16 | lower 16 bits, in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe Tensor WriteAndCollect(Segment segment, uint high, KeyMap map, ulong[] buffer, ref int collected, ulong tag)
    {
        var scores = MemoryMarshal.Cast<byte, uint>(segment.Scores.bytes);
        var eligible = segment.Eligible is null ? default : segment.Eligible.bytes;
        bool all = segment.Eligible is null;
        var selected = empty(segment.Scores.shape, ScalarType.Bool);
        var output = selected.bytes;
        int n = scores.Length;
        int count = collected;
        var wanted = Vector256.Create(high);
        fixed (uint* x = scores)
        fixed (byte* e = eligible)
        fixed (byte* o = output)
        fixed (ulong* spread = Spread)
        fixed (ulong* b = buffer)
        {
            int i = 0;
            int vectorEnd = VectorEnd(n);
            for (; i < vectorEnd; i += 8)
            {
                var keys = map.Key(Vector256.Load(x + i));
                var upperKeys = Vector256.ShiftRightLogical(keys, 16);
                ulong take = all ? 0x0101010101010101ul : *(ulong*)(e + i);
                *(ulong*)(o + i) = spread[Vector256.GreaterThan(upperKeys, wanted).ExtractMostSignificantBits()] & take;
                uint equal = Vector256.Equals(upperKeys, wanted).ExtractMostSignificantBits();
                if (equal != 0)
                {
                    ulong hits = spread[equal] & take;
                    for (int j = 0; j < 8; j++)
                    {
                        b[count] = tag | ((ulong)(uint)(i + j) << 16) | (keys.GetElement(j) & 0xFFFF);
                        count += (int)((hits >> (8 * j)) & 1);
                    }
                }
            }
            for (; i < n; i++)
            {
                uint key = map.Key(x[i]);
                uint ok = all ? 1u : e[i];
                o[i] = (byte)(ok & ((key >> 16) > high ? 1u : 0u));
                b[count] = tag | ((ulong)(uint)i << 16) | (key & 0xFFFF);
                count += (int)(ok & ((key >> 16) == high ? 1u : 0u));
            }
        }
        collected = count;
        return selected;
    }

    /// <summary>Selects the eligible entries whose key exceeds <paramref name="threshold"/>, and the first <paramref name="ties"/> eligible ones equal to it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe Tensor Write(Segment segment, uint threshold, ref long ties, KeyMap map)
    {
        var scores = MemoryMarshal.Cast<byte, uint>(segment.Scores.bytes);
        var eligible = segment.Eligible is null ? default : segment.Eligible.bytes;
        bool all = segment.Eligible is null;
        var selected = empty(segment.Scores.shape, ScalarType.Bool);
        var output = selected.bytes;
        int n = scores.Length;
        long remaining = ties;
        var cut = Vector256.Create(threshold);
        fixed (uint* x = scores)
        fixed (byte* e = eligible)
        fixed (byte* o = output)
        fixed (ulong* spread = Spread)
        {
            int i = 0;
            int vectorEnd = VectorEnd(n);
            for (; i < vectorEnd; i += 8)
            {
                var keys = map.Key(Vector256.Load(x + i));
                ulong take = all ? 0x0101010101010101ul : *(ulong*)(e + i);
                ulong chosen = spread[Vector256.GreaterThan(keys, cut).ExtractMostSignificantBits()] & take;
                uint equal = Vector256.Equals(keys, cut).ExtractMostSignificantBits();
                if (equal != 0 && remaining > 0)
                {
                    // The tied eligible entries, the lowest positions first, as many as remain.
                    uint hits = equal & Bits(take);
                    int found = BitOperations.PopCount(hits);
                    if (found > remaining)
                    {
                        uint first = 0;
                        for (long r = remaining; r > 0; r--)
                        {
                            first |= hits & (0u - hits);
                            hits &= hits - 1;
                        }
                        hits = first;
                        found = (int)remaining;
                    }
                    chosen |= spread[hits];
                    remaining -= found;
                }
                *(ulong*)(o + i) = chosen;
            }
            for (; i < n; i++)
            {
                uint ok = all ? 1u : e[i];
                uint key = map.Key(x[i]);
                uint take = ok & (key > threshold ? 1u : 0u);
                if (key == threshold && ok != 0 && remaining > 0)
                {
                    take = 1;
                    remaining--;
                }
                o[i] = (byte)take;
            }
        }
        ties = remaining;
        return selected;
    }

    /// <summary>Where the blocks of 8 entries read as vectors end (none where 256-bit vectors are not accelerated: the scalar loops take all).</summary>
    private static int VectorEnd(int n) => Vector256.IsHardwareAccelerated ? n & ~7 : 0;

    /// <summary>The 8 bits (low bit first) of 8 bool bytes, each 0 or 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Bits(ulong bytes) => (uint)((bytes * 0x0102040810204080ul) >> 56);

    /// <summary>None, or every eligible entry, shaped like the scores (the eligible mask need only have their size).</summary>
    private static Tensor Fill(Segment segment, bool value)
    {
        if (segment.Eligible is { } eligible && value)
        {
            using var shaped = eligible.reshape(segment.Scores.shape);
            return shaped.clone();
        }
        return full(segment.Scores.shape, value ? HeldScalars.True : HeldScalars.False, ScalarType.Bool);
    }
}
