namespace GraNet.Runtime;

/// <summary>
/// What <see cref="TorchRuntime.ConvolutionsFor"/> decided for one model: whether its convolutions run on oneDNN while the
/// scope lives, and why, where the start-up check had found oneDNN wrong. Disposing it ends the model's claim on the setting.
/// </summary>
public sealed class ConvolutionScope : IDisposable
{
    private bool disposed;

    internal ConvolutionScope(bool? passed, string? note)
    {
        Passed = passed;
        Note = note;
    }

    /// <summary>
    /// Whether oneDNN computes every convolution of the model right on this machine: null where the start-up check found
    /// nothing wrong (or the model has no convolution), so that nothing had to be decided.
    /// </summary>
    public bool? Passed { get; }

    /// <summary>What was measured and done, for a note to the user; null where the start-up check passed.</summary>
    public string? Note { get; }

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            TorchRuntime.EndConvolutionScope(Passed);
        }
    }
}
