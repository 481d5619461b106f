namespace GraNet.Inference;

/// <summary>The geometry of a stride-1 convolution without padding on one input size.</summary>
public sealed record ConvolutionShape(int Channels, int Height, int Width, int KernelHeight, int KernelWidth)
{
    public int OutHeight => Height - KernelHeight + 1;

    public int OutWidth => Width - KernelWidth + 1;
}
