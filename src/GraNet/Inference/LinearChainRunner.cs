using System.Diagnostics;
using System.Runtime.InteropServices;
using GraNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GraNet.Inference;

/// <summary>
/// Runs an <see cref="ILinearChain"/> model for inference with each layer on the faster of two
/// paths, chosen per layer by a short calibration at the batch size it will serve: our CSR
/// kernel (<see cref="SparseKernels"/>) or libtorch's dense product. Activations stay
/// feature-major between layers. Gives the model's logits up to float rounding.
/// </summary>
public sealed class LinearChainRunner : IDisposable
{
    private readonly List<Layer> layers = [];

    private sealed class Layer(string name, CsrMatrix sparse, Tensor weight, Tensor bias, float[] biasValues)
    {
        public string Name { get; } = name;

        public CsrMatrix Sparse { get; } = sparse;

        public Tensor Weight { get; } = weight;

        public Tensor Bias { get; } = bias;

        public float[] BiasValues { get; } = biasValues;

        public bool UseSparse { get; set; } = true;

        public double DenseSeconds { get; set; }

        public double SparseSeconds { get; set; }
    }

    /// <summary>What the calibration measured for one layer.</summary>
    public sealed record LayerChoice(string Name, int Rows, int Columns, double Density, double DenseMilliseconds, double SparseMilliseconds, bool Sparse);

    public LinearChainRunner(ILinearChain model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int index = 0;
        foreach (var linear in model.Layers)
        {
            using var guard = no_grad();
            var weight = linear.weight!.detach().clone().contiguous().DetachFromDisposeScope();
            var bias = (linear.bias is { } b ? b.detach().clone() : zeros(weight.shape[0])).reshape(-1, 1).DetachFromDisposeScope();
            float[] values = weight.data<float>().ToArray();
            layers.Add(new Layer($"fc{++index}", CsrMatrix.FromDense(values, (int)weight.shape[0], (int)weight.shape[1]), weight, bias, bias.data<float>().ToArray()));
        }
    }

    public int InputFeatures => layers[0].Sparse.Columns;

    public int Classes => layers[^1].Sparse.Rows;

    /// <summary>Times both paths of every layer at <paramref name="batch"/> and keeps the faster.</summary>
    public IReadOnlyList<LayerChoice> Calibrate(int batch, int repetitions = 20)
    {
        var random = new Random(1);
        var choices = new List<LayerChoice>();
        foreach (var layer in layers)
        {
            var input = new float[layer.Sparse.Columns * batch];
            for (int i = 0; i < input.Length; i++)
            {
                input[i] = (float)random.NextDouble();
            }
            var output = new float[layer.Sparse.Rows * batch];
            layer.UseSparse = false;
            layer.DenseSeconds = Time(() => Apply(layer, input, output, batch), repetitions);
            layer.UseSparse = true;
            layer.SparseSeconds = Time(() => Apply(layer, input, output, batch), repetitions);
            layer.UseSparse = layer.SparseSeconds < layer.DenseSeconds;
            choices.Add(new LayerChoice(layer.Name, layer.Sparse.Rows, layer.Sparse.Columns, layer.Sparse.Density, layer.DenseSeconds * 1000, layer.SparseSeconds * 1000, layer.UseSparse));
        }
        return choices;
    }

    /// <summary>Sets every layer to one path (instead of <see cref="Calibrate"/>).</summary>
    public void UseForAll(bool sparse)
    {
        foreach (var layer in layers)
        {
            layer.UseSparse = sparse;
        }
    }

    /// <summary>Logits <c>[batch, classes]</c> for row-major inputs <c>[batch, features]</c>.</summary>
    public float[] Forward(float[] input, int batch)
    {
        ArgumentNullException.ThrowIfNull(input);
        var activations = new float[InputFeatures * batch];
        SparseKernels.Transpose(input, batch, InputFeatures, activations);
        for (int l = 0; l < layers.Count; l++)
        {
            var output = new float[layers[l].Sparse.Rows * batch];
            Apply(layers[l], activations, output, batch);
            if (l < layers.Count - 1)
            {
                SparseKernels.Relu(output);
            }
            activations = output;
        }
        var logits = new float[batch * Classes];
        SparseKernels.Transpose(activations, Classes, batch, logits);
        return logits;
    }

    private static void Apply(Layer layer, float[] input, float[] output, int batch)
    {
        if (layer.UseSparse)
        {
            SparseKernels.Multiply(layer.Sparse, layer.BiasValues, input, output, batch);
            return;
        }
        using var x = tensor(input, [layer.Sparse.Columns, batch]);
        using var y = mm(layer.Weight, x);
        using var one = 1.0f.ToScalar();
        y.add_(layer.Bias, one);
        MemoryMarshal.Cast<byte, float>(y.bytes).CopyTo(output);
    }

    private static double Time(Action action, int repetitions)
    {
        action();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < repetitions; i++)
        {
            action();
        }
        return clock.Elapsed.TotalSeconds / repetitions;
    }

    public void Dispose()
    {
        foreach (var layer in layers)
        {
            layer.Weight.Dispose();
            layer.Bias.Dispose();
        }
    }
}
