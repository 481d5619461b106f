using System.Runtime.InteropServices;
using TorchSharp;
using GraNet.Models;
using static TorchSharp.torch;

namespace GraNet.Inference;

/// <summary>
/// One convolution or linear layer of a trained network with its three ways of running
/// (<see cref="LayerKernel"/>). A convolution runs sparse as a product with its im2col matrix:
/// <c>[out, in·kh·kw] × [in·kh·kw, batch·positions]</c>. Gives the layer's output up to float rounding.
/// </summary>
public sealed class SparseLayer : IDisposable
{
    private readonly NetworkStage stage;
    private readonly Tensor matrix;
    private readonly Tensor biasColumn;
    private readonly float[] bias;
    private readonly long[] kernelSize = [];
    private readonly long[] stride = [];
    private readonly long[] padding = [];
    private readonly long[] dilation = [];
    private Tensor? libTorchCsr;

    public SparseLayer(ConvolutionStage convolution)
        : this(convolution, convolution?.Name ?? "", convolution!.Layer.weight!, convolution.Layer.bias)
    {
        var layer = convolution.Layer;
        if (!Covers(layer))
        {
            throw new NotSupportedException($"{Name}: sparse execution covers plain convolutions (one group, explicit zero padding).");
        }
        IsConvolution = true;
        kernelSize = layer.kernel_size;
        stride = layer.stride;
        padding = layer.padding!; // Covers checked it is there
        dilation = layer.dilation;
    }

    /// <summary>Whether sparse execution covers the convolution: one group, not transposed, explicit zero padding.</summary>
    public static bool Covers(TorchSharp.Modules.Conv2d layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer.groups == 1 && !layer.transposed && layer.padding_mode == TorchSharp.PaddingModes.Zeros && layer.padding is not null;
    }

    public SparseLayer(LinearStage linear)
        : this(linear, linear?.Name ?? "", linear!.Layer.weight!, linear.Layer.bias)
    {
    }

    private SparseLayer(NetworkStage stage, string name, Tensor weight, Tensor? layerBias)
    {
        this.stage = stage;
        Name = name;
        using var guard = no_grad();
        matrix = weight.detach().reshape(weight.shape[0], -1).contiguous().clone().DetachFromDisposeScope();
        Shape = [.. weight.shape];
        Csr = CsrMatrix.FromDense(MemoryMarshal.Cast<byte, float>(matrix.bytes), (int)matrix.shape[0], (int)matrix.shape[1]);
        bias = layerBias is null ? new float[Csr.Rows] : layerBias.detach().data<float>().ToArray();
        biasColumn = tensor(bias, [Csr.Rows, 1]).DetachFromDisposeScope();
    }

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
            return stage.Forward(input);
        }
        if (!IsConvolution)
        {
            using var transposed = input.t();
            using var columns = transposed.contiguous();
            using var product = ForwardFeatureMajor(columns, kernel, threads, relu: false);
            return product.t();
        }
        if (kernel == LayerKernel.Csr && stride.All(s => s == 1) && dilation.All(d => d == 1))
        {
            return ConvolveDirect(input, threads);
        }
        long batch = input.shape[0];
        long height = OutputSize(input.shape[2], 0);
        long width = OutputSize(input.shape[3], 1);
        using var patches = nn.functional.unfold(input, (kernelSize[0], kernelSize[1]), (dilation[0], dilation[1]), (padding[0], padding[1]), (stride[0], stride[1]));
        using var byFeature = patches.permute(1, 0, 2);
        using var im2col = byFeature.reshape(patches.shape[1], -1);
        using var output = ForwardFeatureMajor(im2col, kernel, threads, relu: false);
        using var channelsFirst = output.view(Csr.Rows, batch, height, width);
        return channelsFirst.permute(1, 0, 2, 3);
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
