namespace GraNet.Data;

/// <summary>
/// One mini-batch on the managed side: <see cref="Count"/> normalised images in
/// <c>[Count, C, H, W]</c> order at the start of <see cref="Images"/>, and their labels.
/// The buffers are reused by the loader: copy them (e.g. into a tensor) before the next batch.
/// </summary>
public sealed class Batch(int capacity, int imageSize)
{
    public float[] Images { get; } = new float[capacity * imageSize];

    public long[] Labels { get; } = new long[capacity];

    public int Count { get; internal set; }
}
