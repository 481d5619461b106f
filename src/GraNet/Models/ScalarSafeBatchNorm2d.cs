using GraNet.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// TorchSharp's <see cref="BatchNorm2d"/> (same parameters, buffers, names and update) without the
/// temporary <see cref="TorchSharp.Scalar"/> its forward passes to libtorch when it counts batches
/// (<c>num_batches_tracked.add_(1)</c>; see <see cref="HeldScalars"/> for the race).
/// </summary>
public sealed class ScalarSafeBatchNorm2d : BatchNorm
{
    /// <summary>Creates the layer with PyTorch's defaults (eps 1e-5, momentum 0.1, affine, running statistics).</summary>
    public ScalarSafeBatchNorm2d(long features, double eps = 1e-5, double momentum = 0.1)
        : base(features, eps, momentum, true, true, null, null, nameof(BatchNorm2d))
    {
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ValidateInputDimensions(input);
        double factor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is { } tracked)
        {
            tracked.add_(HeldScalars.One, HeldScalars.One);
            // No momentum: a cumulative moving average, as in PyTorch.
            factor = momentum ?? (1.0 / tracked.item<long>());
        }

        // Batch statistics in training, and in evaluation when no running statistics are kept.
        bool batchStatistics = training || (running_mean is null && running_var is null);
        bool useRunning = !training || track_running_stats;
        return nn.functional.batch_norm(input, useRunning ? running_mean : null, useRunning ? running_var : null, weight, bias, batchStatistics, factor, eps);
    }

    /// <inheritdoc/>
    protected override void ValidateInputDimensions(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.ndim != 4)
        {
            throw new ArgumentException($"Expected 4-D input (batch, channels, height, width), got {input.ndim}-D.", nameof(input));
        }
    }
}
