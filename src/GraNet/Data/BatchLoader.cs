using System.Diagnostics;

namespace GraNet.Data;

/// <summary>
/// Turns a view of an <see cref="ImageDataset"/> into normalised mini-batches. The order of an
/// epoch depends only on (seed, epoch), so a resumed run sees the same batches. While the caller
/// works on one batch the next is built on a worker thread; <see cref="WaitSeconds"/> counts the
/// time the caller still had to wait for data.
/// </summary>
public sealed class BatchLoader
{
    private const int CropPadding = 4;
    private readonly ImageDataset data;
    private readonly int[] indices;
    private readonly float[][] lookup;
    private readonly int batchSize;

    private readonly bool reflectPadding;

    /// <param name="indices">The items of <paramref name="data"/> this loader serves (all when null).</param>
    /// <param name="reflectPadding">Augmented crops pad by reflection (PyTorch's <c>reflect</c>: the edge pixel is not repeated) instead of with black.</param>
    public BatchLoader(ImageDataset data, int[]? indices, float[] mean, float[] std, int batchSize, bool reflectPadding = false)
    {
        this.reflectPadding = reflectPadding;
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        }
        if (mean.Length != data.Shape.Channels || std.Length != data.Shape.Channels)
        {
            throw new ArgumentException($"Normalisation needs one mean and std per channel ({data.Shape.Channels}).", nameof(mean));
        }
        this.data = data;
        this.indices = indices ?? Enumerable.Range(0, data.Count).ToArray();
        this.batchSize = batchSize;
        lookup = new float[data.Shape.Channels][];
        for (int c = 0; c < lookup.Length; c++)
        {
            lookup[c] = new float[256];
            for (int v = 0; v < 256; v++)
            {
                lookup[c][v] = ((v / 255f) - mean[c]) / std[c];
            }
        }
    }

    /// <summary>Number of items served per epoch.</summary>
    public int Count => indices.Length;

    public ImageShape Shape => data.Shape;

    /// <summary>The data set this loader serves items of (all of it, whatever <c>indices</c> it was given).</summary>
    public ImageDataset Source => data;

    /// <summary>Mini-batches per epoch; the last one may be partial.</summary>
    public int BatchesPerEpoch => (indices.Length + batchSize - 1) / batchSize;

    /// <summary>Seconds the consumer waited for a batch that was not ready yet, since creation.</summary>
    public double WaitSeconds { get; private set; }

    /// <summary>
    /// The batches of one epoch. With <paramref name="shuffle"/> the order is a permutation drawn
    /// from (seed, epoch); with <paramref name="augment"/> each image gets a random crop with
    /// 4-pixel padding (black, or reflected) and a random horizontal flip drawn from (seed, epoch, batch).
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, bool shuffle, bool augment, int seed)
    {
        int[] order = (int[])indices.Clone();
        if (shuffle)
        {
            new Random(MixSeed(seed, epoch, -1)).Shuffle(order);
        }
        var buffers = new[] { new Batch(batchSize, data.Shape.Size), new Batch(batchSize, data.Shape.Size) };
        int batches = BatchesPerEpoch;
        if (batches == 0)
        {
            yield break;
        }
        Task<Batch> pending = Task.Run(() => Build(order, 0, buffers[0], augment, seed, epoch));
        for (int b = 0; b < batches; b++)
        {
            long waitStart = Stopwatch.GetTimestamp();
            Batch current = pending.GetAwaiter().GetResult();
            WaitSeconds += Stopwatch.GetElapsedTime(waitStart).TotalSeconds;
            if (b + 1 < batches)
            {
                int next = b + 1;
                pending = Task.Run(() => Build(order, next, buffers[next % 2], augment, seed, epoch));
            }
            yield return current;
        }
    }

    private Batch Build(int[] order, int batchIndex, Batch batch, bool augment, int seed, int epoch)
    {
        int first = batchIndex * batchSize;
        int count = Math.Min(batchSize, order.Length - first);
        var shape = data.Shape;
        int size = shape.Size;
        int plane = shape.Height * shape.Width;
        var random = augment ? new Random(MixSeed(seed, epoch, batchIndex)) : null;
        var pixels = data.Pixels;
        for (int i = 0; i < count; i++)
        {
            int item = order[first + i];
            batch.Labels[i] = data.Labels[item];
            int source = item * size;
            int target = i * size;
            if (random is null)
            {
                for (int c = 0; c < shape.Channels; c++)
                {
                    var table = lookup[c];
                    int offset = c * plane;
                    for (int p = 0; p < plane; p++)
                    {
                        batch.Images[target + offset + p] = table[pixels[source + offset + p]];
                    }
                }
                continue;
            }
            int dy = random.Next(-CropPadding, CropPadding + 1);
            int dx = random.Next(-CropPadding, CropPadding + 1);
            bool flip = random.Next(2) == 1;
            for (int c = 0; c < shape.Channels; c++)
            {
                var table = lookup[c];
                int offset = c * plane;
                for (int y = 0; y < shape.Height; y++)
                {
                    int sy = y + dy;
                    for (int x = 0; x < shape.Width; x++)
                    {
                        int sx = (flip ? shape.Width - 1 - x : x) + dx;
                        bool inside = sy >= 0 && sy < shape.Height && sx >= 0 && sx < shape.Width;
                        byte value = inside ? pixels[source + offset + (sy * shape.Width) + sx]
                            : reflectPadding ? pixels[source + offset + (Reflect(sy, shape.Height) * shape.Width) + Reflect(sx, shape.Width)]
                            : (byte)0;
                        batch.Images[target + offset + (y * shape.Width) + x] = table[value];
                    }
                }
            }
        }
        batch.Count = count;
        return batch;
    }

    /// <summary>Index <paramref name="i"/> (at most the padding outside 0..n-1) mirrored about the edge pixel, as PyTorch's reflect padding.</summary>
    private static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? (2 * n) - 2 - i : i;

    private static int MixSeed(int seed, int epoch, int batch)
    {
        unchecked
        {
            ulong x = ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)epoch * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)(uint)batch * 0x165667B19E3779F9UL);
            x ^= x >> 31;
            x *= 0xBF58476D1CE4E5B9UL;
            x ^= x >> 29;
            return (int)(x & 0x7FFFFFFF);
        }
    }
}
