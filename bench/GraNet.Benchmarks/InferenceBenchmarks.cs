using BenchmarkDotNet.Attributes;
using GraNet.Inference;
using GraNet.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Benchmarks;

/// <summary>
/// One layer at batch 64 on each kernel across densities: LeNet-300-100's first linear layer
/// (300x784) and LeNet-5-Caffe's second convolution (50x20x5x5 on 12x12 inputs).
/// </summary>
public class InferenceBenchmarks
{
    private SparseLayer layer = null!;
    private Tensor input = null!;
    private Tensor columns = null!;
    private nn.Module module = null!;

    [Params("fc 300x784", "conv 50x20x5x5")]
    public string Layer { get; set; } = "";

    [Params(0.5, 0.2, 0.1, 0.05, 0.02, 0.01)]
    public double Density { get; set; }

    [Params(LayerKernel.Dense, LayerKernel.Csr, LayerKernel.LibTorchCsr)]
    public LayerKernel Kernel { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(1);
        if (Layer.StartsWith("fc", StringComparison.Ordinal))
        {
            var linear = nn.Linear(784, 300);
            Prune(linear.weight!);
            module = linear;
            layer = new SparseLayer(new LinearStage("fc1", linear));
            input = randn(64, 784);
            columns = input.t().contiguous();
        }
        else
        {
            var convolution = nn.Conv2d(20, 50, 5);
            Prune(convolution.weight!);
            module = convolution;
            layer = new SparseLayer(new ConvolutionStage("conv2", convolution));
            input = randn(64, 20, 12, 12);
        }
    }

    private void Prune(Tensor weight)
    {
        using var guard = no_grad();
        using Scalar density = Density.ToScalar();
        using var uniform = rand(weight.shape);
        using var keep = uniform.lt(density);
        weight.mul_(keep);
    }

    [Benchmark]
    public void Forward()
    {
        using var guard = no_grad();
        using var output = layer.IsConvolution ? layer.Forward(input, Kernel, 1) : layer.ForwardFeatureMajor(columns, Kernel, 1, relu: false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        layer.Dispose();
        module.Dispose();
        input.Dispose();
        columns?.Dispose();
    }
}
