namespace GraNet.Data;

/// <summary>The shape of one image: channels, height, width.</summary>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Values per image.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>The shape of one sample as a tensor's: channels, height, width.</summary>
    public long[] Dimensions => [Channels, Height, Width];

    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
