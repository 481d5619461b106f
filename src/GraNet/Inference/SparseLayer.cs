using System.Runtime.InteropServices;
using TorchSharp;
using GraNet.Models;
using GraNet.Runtime;
using static TorchSharp.torch;

namespace GraNet.Inference;

/// <summary>
/// One convolution or linear layer of a trained network with its three ways of running
/// (<see cref="LayerKernel"/>). A convolution runs sparse either directly on the images (our kernel, stride 1) or as a
/// product with its im2col matrix, <c>[out, in·kh·kw] × [in·kh·kw, batch·positions]</c>, at most
/// <see cref="Im2colImages"/> images at a time. Gives the layer's output up to float rounding.
/// </summary>
public sealed class SparseLayer : IDisposable
{
    private readonly Tensor matrix;
    private readonly Tensor biasColumn;
    private readonly float[] bias;
    private readonly long[] kernelSize = [];
    private readonly long[] stride = [];
    private readonly long[] padding = [];
    private readonly long[] dilation = [];
    private Tensor? libTorchCsr;

    /// <param name="convolution">The convolution.</param>
    /// <param name="norm">
    /// The batch normalisation right after it, if any, folded in with its running statistics: each filter scaled by
    /// γ / √(σ² + ε) and the bias made (b − μ)·γ / √(σ² + ε) + β, so the layer gives convolution and normalisation at
    /// once, in any kernel. The normalisation must be in evaluation mode (its running statistics are what it computes).
    /// </param>
    public SparseLayer(ConvolutionStage convolution, BatchNormStage? norm = null)
        : this(Covered(convolution).Name, convolution.Layer.weight!, convolution.Layer.bias, norm)
    {
        var layer = convolution.Layer;
        IsConvolution = true;
        kernelSize = layer.kernel_size;
        stride = layer.stride;
        padding = layer.padding!; // Covers checked it is there
        dilation = layer.dilation;
    }

    /// <summary><paramref name="convolution"/>, refused before anything is copied unless sparse execution <see cref="Covers"/> it.</summary>
    private static ConvolutionStage Covered(ConvolutionStage convolution)
    {
        ArgumentNullException.ThrowIfNull(convolution);
        return Covers(convolution.Layer) ? convolution
            : throw new NotSupportedException($"{convolution.Name}: sparse execution covers plain convolutions (one group, explicit zero padding).");
    }

    /// <summary>Whether sparse execution covers the convolution: one group, not transposed, explicit zero padding.</summary>
    public static bool Covers(TorchSharp.Modules.Conv2d layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer.groups == 1 && !layer.transposed && layer.padding_mode == TorchSharp.PaddingModes.Zeros && layer.padding is not null;
    }

    public SparseLayer(LinearStage linear)
        : this(linear?.Name ?? "", linear!.Layer.weight!, linear.Layer.bias, null)
    {
    }

    private SparseLayer(string name, Tensor weight, Tensor? layerBias, BatchNormStage? norm)
    {
        Name = name;
        Norm = norm;
        if (weight.dtype != ScalarType.Float32 || layerBias is { dtype: not ScalarType.Float32 })
        {
            throw new NotSupportedException($"{name} holds {(weight.dtype != ScalarType.Float32 ? weight.dtype : layerBias!.dtype)} values; sparse inference runs float32 models: convert the model with model.to(ScalarType.Float32) first.");
        }
        using var guard = no_grad();
        using var scope = NewDisposeScope();
        long rows = weight.shape[0];
        var rowMajor = weight.detach().reshape(rows, -1);
        var biasVector = layerBias is null ? zeros(rows) : layerBias.detach();
        if (norm is not null)
        {
            (rowMajor, biasVector) = Fold(name, rowMajor, biasVector, norm);
        }
        matrix = rowMajor.contiguous().clone().DetachFromDisposeScope();
        Shape = [.. weight.shape];
        Csr = CsrMatrix.FromDense(MemoryMarshal.Cast<byte, float>(matrix.bytes), (int)matrix.shape[0], (int)matrix.shape[1]);
        bias = biasVector.contiguous().data<float>().ToArray();
        biasColumn = tensor(bias, [Csr.Rows, 1]).DetachFromDisposeScope();
    }

    /// <summary>The filters <c>[out, in·kh·kw]</c> and bias of a convolution followed by <paramref name="norm"/> (see the constructor).</summary>
    private static (Tensor Matrix, Tensor Bias) Fold(string name, Tensor rowMajor, Tensor biasVector, BatchNormStage norm)
    {
        var layer = norm.Layer;
        if (layer.training)
        {
            throw new InvalidOperationException($"{norm.Name} (after {name}) is in training mode, where batch normalisation uses each batch's statistics: call eval() on the model before making its sparse form.");
        }
        if (layer.running_mean is not { } mean || layer.running_var is not { } variance)
        {
            throw new NotSupportedException($"{norm.Name} (after {name}) keeps no running statistics, so it normalises each batch by its own; sparse inference folds running statistics into the convolution: run this model dense.");
        }
        if (mean.shape[0] != rowMajor.shape[0])
        {
            throw new ArgumentException($"{norm.Name} normalises {mean.shape[0]} channels; {name} gives {rowMajor.shape[0]}.", nameof(norm));
        }
        using var epsilon = layer.eps.ToScalar();
        var scale = variance.detach().add(epsilon, HeldScalars.One).rsqrt();
        if (layer.weight is { } gamma)
        {
            scale = scale.mul(gamma.detach());
        }
        var folded = biasVector.sub(mean.detach()).mul(scale);
        if (layer.bias is { } beta)
        {
            folded = folded.add(beta.detach(), HeldScalars.One);
        }
        return (rowMajor.mul(scale.unsqueeze(1)), folded);
    }

    /// <summary>The batch normalisation folded into this convolution (<see cref="SparseLayer(ConvolutionStage, BatchNormStage?)"/>), if any.</summary>
    public BatchNormStage? Norm { get; }

    public string Name { get; }

    public bool IsConvolution { get; }

    /// <summary>The weight's shape, e.g. <c>[50, 20, 5, 5]</c>.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The weight as a CSR matrix of <c>[out, in·kh·kw]</c>.</summary>
    public CsrMatrix Csr { get; }

    /// <summary>
    /// Runs a convolution on <c>[N, C, H, W]</c> images, or a linear layer on <c>[N, features]</c>
    /// rows, with the given kernel; returns a new tensor of the layer's usual output shape.
    /// </summary>
    public Tensor Forward(Tensor input, LayerKernel kernel, int threads)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (kernel.IsDense())
        {
            return DenseCopy(input);
        }
        if (!IsConvolution)
        {
            using var transposed = input.t();
            using var columns = transposed.contiguous();
            using var product = ForwardFeatureMajor(columns, kernel, threads, relu: false);
            return product.t();
        }
        long height = OutputSize(input.shape[2], 0);
        long width = OutputSize(input.shape[3], 1);
        // The direct kernel vectorises along each output plane (SparseKernels.Convolve); planes of fewer than four vectors'
        // positions (VGG's last 4x4 and 2x2 maps) go through im2col, whose columns (every image and position) our product
        // vectorises instead.
        long span = ((height - 1) * (input.shape[3] + (2 * padding[1]))) + width;
        if (kernel == LayerKernel.Csr && stride.All(s => s == 1) && dilation.All(d => d == 1) && span >= 4 * System.Numerics.Vector<float>.Count)
        {
            return ConvolveDirect(input, threads);
        }
        long batch = input.shape[0];
        if (batch > Im2colImages)
        {
            // The im2col matrix grows with the batch (4,608 x 16,000 values for VGG's 512-channel layers on 4x4 maps at 1000
            // images): a block of images at a time keeps it small.
            using var scope = NewDisposeScope();
            var outputs = input.split(Im2colImages).Select(block => Forward(block, kernel, threads)).ToList();
            return cat(outputs, 0).MoveToOuterDisposeScope();
        }
        using var patches = nn.functional.unfold(input, (kernelSize[0], kernelSize[1]), (dilation[0], dilation[1]), (padding[0], padding[1]), (stride[0], stride[1]));
        using var byFeature = patches.permute(1, 0, 2);
        using var reshaped = byFeature.reshape(patches.shape[1], -1);
        // contiguous: on a 1x1 output map (one position per image) the reshape is a strided view, not a copy.
        using var im2col = reshaped.contiguous();
        using var output = ForwardFeatureMajor(im2col, kernel, threads, relu: false);
        using var channelsFirst = output.view(Csr.Rows, batch, height, width);
        return channelsFirst.permute(1, 0, 2, 3);
    }

    /// <summary>Images per im2col matrix: larger batches are cut into blocks of this many.</summary>
    public const int Im2colImages = 64;

    /// <summary>
    /// libtorch's dense convolution or linear layer with the weights read when this was made (the filters with a batch
    /// norm folded in), as the sparse kernels have them: every kernel of this layer computes the same, even if the model
    /// changes after (the plain dense pass that calibration may keep for a batch size runs the model's own modules).
    /// </summary>
    private Tensor DenseCopy(Tensor input)
    {
        using var weight = matrix.view([.. Shape]);
        using var biasRow = biasColumn.view(-1);
        return IsConvolution
            ? nn.functional.conv2d(input, weight, biasRow, stride, padding, dilation)
            : nn.functional.linear(input, weight, biasRow);
    }

    /// <summary>Our direct sparse convolution (<see cref="SparseKernels.Convolve"/>), images split over threads.</summary>
    private Tensor ConvolveDirect(Tensor input, int threads)
    {
        using var padded = padding.Any(p => p != 0)
            ? nn.functional.pad(input, [padding[1], padding[1], padding[0], padding[0]])
            : input.contiguous();
        var shape = new ConvolutionShape((int)padded.shape[1], (int)padded.shape[2], (int)padded.shape[3], (int)kernelSize[0], (int)kernelSize[1]);
        var output = empty(padded.shape[0], Csr.Rows, shape.OutHeight, shape.OutWidth);
        SparseKernels.ForRowBlocks((int)padded.shape[0], threads, (first, last) =>
            SparseKernels.Convolve(Csr, bias, MemoryMarshal.Cast<byte, float>(padded.bytes), MemoryMarshal.Cast<byte, float>(output.bytes), shape, first, last));
        return output;
    }

    /// <summary>
    /// The layer as a matrix product on feature-major columns: returns <c>[out, n]</c> =
    /// bias + W · <paramref name="columns"/> (<c>[in, n]</c>, contiguous), contiguous, and with
    /// <paramref name="relu"/> already through <c>max(·, 0)</c>. For a linear layer the columns
    /// are the batch; for a convolution, the im2col patches of every image and position.
    /// </summary>
    public Tensor ForwardFeatureMajor(Tensor columns, LayerKernel kernel, int threads, bool relu)
    {
        ArgumentNullException.ThrowIfNull(columns);
        int n = (int)columns.shape[1];
        Tensor output;
        switch (kernel)
        {
            case LayerKernel.Csr:
                output = empty(Csr.Rows, n);
                SparseKernels.ForRowBlocks(Csr.Rows, threads, (first, last) =>
                    SparseKernels.Multiply(Csr, bias, MemoryMarshal.Cast<byte, float>(columns.bytes), MemoryMarshal.Cast<byte, float>(output.bytes), n, first, last, relu));
                return output;
            case LayerKernel.LibTorchCsr:
                libTorchCsr ??= LibTorchCsr.FromDense(matrix).DetachFromDisposeScope();
                output = mm(libTorchCsr, columns);
                using (var one = 1.0f.ToScalar())
                {
                    output.add_(biasColumn, one);
                }
                break;
            case LayerKernel.DenseBatchMajor:
                // As libtorch's own linear layer computes it: X·Wᵀ + b on the transposed view (BLAS reads it in place).
                using (var batchMajor = columns.t())
                using (var biasRow = biasColumn.view(-1))
                using (var product = nn.functional.linear(batchMajor, matrix, biasRow))
                using (var featureMajor = product.t())
                {
                    output = featureMajor.contiguous();
                }
                break;
            default:
                output = addmm(biasColumn, matrix, columns, 1, 1);
                break;
        }
        if (relu)
        {
            output.relu_();
        }
        return output;
    }

    private long OutputSize(long size, int axis) => ((size + (2 * padding[axis]) - (dilation[axis] * (kernelSize[axis] - 1)) - 1) / stride[axis]) + 1;

    public void Dispose()
    {
        matrix.Dispose();
        biasColumn.Dispose();
        libTorchCsr?.Dispose();
    }
}
