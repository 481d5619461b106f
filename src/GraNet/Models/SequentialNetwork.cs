using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// A model of your own built with <c>nn.Sequential</c>, seen as the stages that sparse inference
/// (<see cref="GraNet.Inference.SparseNetwork"/>) runs: <c>Linear</c>, <c>Conv2d</c>, <c>ReLU</c>, <c>Flatten</c> and
/// <c>MaxPool2d</c> with a square window and the stride equal to it. The layers are the model's own (read, not copied),
/// named as the model names them.
/// </summary>
public sealed class SequentialNetwork : ISequentialNetwork
{
    private SequentialNetwork(IReadOnlyList<NetworkStage> stages) => Stages = stages;

    public IReadOnlyList<NetworkStage> Stages { get; }

    /// <summary>
    /// The stages of <paramref name="model"/>, in order. A model whose first layer is linear gets a flatten in front, so
    /// that images (<c>[N, C, H, W]</c>) and rows (<c>[N, features]</c>) both reach it as rows.
    /// </summary>
    /// <exception cref="ArgumentException">A module sparse inference does not run (named, with the ones it does).</exception>
    public static SequentialNetwork From(Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var stages = new List<NetworkStage>();
        foreach (var (name, module) in model.named_children())
        {
            stages.Add(module switch
            {
                Linear linear => new LinearStage(name, linear),
                Conv2d convolution => new ConvolutionStage(name, convolution),
                ReLU => new ReluStage(),
                Flatten flatten when flatten.start_dim == 1 && flatten.end_dim == -1 => new FlattenStage(),
                MaxPool2d pool when Square(pool) is { } kernel => new MaxPoolStage(kernel),
                _ => throw new ArgumentException(
                    $"{name} ({module.GetType().Name}): sparse inference runs Linear, Conv2d, ReLU, Flatten (of every dimension after the batch) and MaxPool2d (square window, stride equal to it, no padding); build the model of those, or run it dense.",
                    nameof(model)),
            });
        }
        if (stages.FirstOrDefault(s => s is LinearStage or ConvolutionStage) is LinearStage && stages[0] is not FlattenStage)
        {
            stages.Insert(0, new FlattenStage());
        }
        return new SequentialNetwork(stages);
    }

    /// <summary>The window of a pooling whose window is square, whose stride equals it and which neither pads nor dilates; else null.</summary>
    private static int? Square(MaxPool2d pool)
    {
        long[] kernel = pool.kernel_size;
        long[] stride = pool.stride ?? kernel;
        bool plain = kernel.Length == 2 && kernel[0] == kernel[1] && stride.SequenceEqual(kernel)
            && (pool.padding ?? []).All(p => p == 0) && (pool.dilation ?? []).All(d => d == 1) && !pool.ceil_mode;
        return plain ? (int)kernel[0] : null;
    }
}
