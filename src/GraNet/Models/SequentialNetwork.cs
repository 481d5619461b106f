using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// A model of your own built with <c>nn.Sequential</c>, seen as the stages that sparse inference
/// (<see cref="GraNet.Inference.SparseNetwork"/>) runs: <c>Linear</c>, <c>Conv2d</c>, <c>BatchNorm2d</c> (folded into the
/// convolution right before it), <c>ReLU</c>, <c>Flatten</c>, and <c>MaxPool2d</c> and <c>AvgPool2d</c> with a square window and
/// the stride equal to it. The layers are the model's own (read, not copied), named as the model names them.
/// </summary>
public sealed class SequentialNetwork : ISequentialNetwork
{
    private SequentialNetwork(IReadOnlyList<NetworkStage> stages) => Stages = stages;

    public IReadOnlyList<NetworkStage> Stages { get; }

    /// <summary>
    /// The stages of <paramref name="model"/>, in order. A model whose very first module is a linear layer gets a flatten
    /// in front, so that images (<c>[N, C, H, W]</c>) and rows (<c>[N, features]</c>) both reach it as rows.
    /// </summary>
    /// <exception cref="ArgumentException">A module sparse inference does not run, or an order it does not run (named, with what it runs).</exception>
    public static SequentialNetwork From(Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var stages = new List<NetworkStage>();
        bool flat = false; // a Flatten or a linear layer came before: from there the engine works on rows
        foreach (var (name, module) in model.named_children())
        {
            stages.Add(module switch
            {
                Linear when !flat && stages.Count > 0 => throw Refused(name, module, "a linear layer after a convolution or pooling needs a Flatten before it"),
                Conv2d when flat => throw Refused(name, module, "a convolution after a Flatten or a linear layer"),
                MaxPool2d or AvgPool2d when flat => throw Refused(name, module, "a pooling after a Flatten or a linear layer"),
                BatchNorm when flat => throw Refused(name, module, "a batch norm after a Flatten or a linear layer"),
                Flatten when flat => throw Refused(name, module, "a second Flatten, or a Flatten after a linear layer"),
                Conv2d convolution when !GraNet.Inference.SparseLayer.Covers(convolution) => throw Refused(name, module, "a convolution with groups, transposed, or padding other than explicit zeros ('same', reflect)"),
                Linear linear => new LinearStage(name, linear),
                Conv2d convolution => new ConvolutionStage(name, convolution),
                ReLU => new ReluStage(),
                Flatten flatten when flatten.start_dim == 1 && flatten.end_dim == -1 => new FlattenStage(),
                MaxPool2d pool when Square(pool) is { } kernel => new MaxPoolStage(kernel),
                AvgPool2d pool when Square(pool) is { } kernel => new AvgPoolStage(kernel),
                BatchNorm norm when norm is BatchNorm2d or ScalarSafeBatchNorm2d => new BatchNormStage(name, norm),
                _ => throw Refused(name, module, "a module sparse inference does not run"),
            });
            flat |= module is Flatten or Linear;
        }
        if (stages.Count > 0 && stages[0] is LinearStage)
        {
            stages.Insert(0, new FlattenStage());
        }
        return new SequentialNetwork(stages);
    }

    private static ArgumentException Refused(string name, nn.Module module, string why) => new(
        $"{name} ({module.GetType().Name}): {why}; sparse inference runs Conv2d (one group, zero padding), BatchNorm2d, ReLU, MaxPool2d and AvgPool2d (square window, stride equal to it, no padding), then Flatten (of every dimension after the batch), then Linear and ReLU: build the model in that order, or run it dense.",
        "model");

    /// <summary>The window of a max-pooling whose window is square, whose stride equals it and which neither pads nor dilates; else null.</summary>
    private static int? Square(MaxPool2d pool) =>
        Square(pool.kernel_size, pool.stride, pool.padding, pool.ceil_mode) is { } kernel && (pool.dilation ?? []).All(d => d == 1) ? kernel : null;

    /// <summary>The window of an average pooling whose window is square, whose stride equals it, which does not pad and divides by the window; else null.</summary>
    private static int? Square(AvgPool2d pool) =>
        Square(pool.kernel_size, pool.stride, pool.padding, pool.ceil_mode) is { } kernel && pool.divisor_override is null ? kernel : null;

    private static int? Square(long[] kernel, long[]? stride, long[]? padding, bool ceilMode)
    {
        stride ??= kernel;
        bool plain = kernel.Length == 2 && kernel[0] == kernel[1] && stride.SequenceEqual(kernel) && (padding ?? []).All(p => p == 0) && !ceilMode;
        return plain ? (int)kernel[0] : null;
    }
}
