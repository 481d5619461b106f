namespace GraNet.Runtime;

/// <summary>
/// A check of convolution shapes on oneDNN (<see cref="TorchRuntime.ConvolutionsFor"/>'s measuring function) that ended at
/// one shape: it measured <see cref="Measured"/> (the errors of the shapes before it) and then <see cref="Exception.Message"/>
/// happened at the next (its process ended, or hung). <see cref="TorchRuntime.ConvolutionsFor"/> keeps both for the process.
/// </summary>
public sealed class ConvolutionCheckException : InvalidOperationException
{
    public ConvolutionCheckException()
    {
        Measured = [];
    }

    public ConvolutionCheckException(string message)
        : base(message)
    {
        Measured = [];
    }

    public ConvolutionCheckException(string message, Exception innerException)
        : base(message, innerException)
    {
        Measured = [];
    }

    /// <param name="happened">What happened at the shape after the measured ones ("ended the checking process with …").</param>
    /// <param name="measured">The errors of the shapes measured before it, in order.</param>
    public ConvolutionCheckException(string happened, IReadOnlyList<double> measured)
        : base(happened)
    {
        Measured = measured ?? [];
    }

    /// <summary>The errors of the shapes measured before the one at which the check ended.</summary>
    public IReadOnlyList<double> Measured { get; }
}
