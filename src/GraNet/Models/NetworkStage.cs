using GraNet.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// One step of a feed-forward network that runs its steps in sequence. A model that lists its
/// stages (<see cref="ISequentialNetwork"/>) uses them for its own forward pass, and the sparse
/// inference engine reads the same list, so the two cannot drift apart.
/// </summary>
public abstract record NetworkStage
{
    /// <summary>The stage's dense computation; returns a new tensor.</summary>
    public abstract Tensor Forward(Tensor input);
}

/// <summary>A 2-D convolution layer, called as a module so that hooks fire.</summary>
public sealed record ConvolutionStage(string Name, Conv2d Layer) : NetworkStage
{
    public override Tensor Forward(Tensor input) => Layer.call(input);
}

/// <summary>A fully connected layer, called as a module so that hooks fire.</summary>
public sealed record LinearStage(string Name, Linear Layer) : NetworkStage
{
    public override Tensor Forward(Tensor input) => Layer.call(input);
}

public sealed record ReluStage : NetworkStage
{
    public override Tensor Forward(Tensor input) => nn.functional.relu(input);
}

/// <summary>Max-pooling with a square window and stride equal to the window.</summary>
public sealed record MaxPoolStage(int Kernel) : NetworkStage
{
    public override Tensor Forward(Tensor input) => nn.functional.max_pool2d(input, Kernel);
}

/// <summary>Flattens everything but the batch dimension.</summary>
public sealed record FlattenStage : NetworkStage
{
    public override Tensor Forward(Tensor input) => input.flatten(1);
}

/// <summary>
/// Batch normalisation of the convolution's output before it, called as a module so that it keeps its own mode. Sparse
/// inference folds it, with its running statistics, into that convolution's weights and bias.
/// </summary>
public sealed record BatchNormStage(string Name, BatchNorm Layer) : NetworkStage
{
    public override Tensor Forward(Tensor input) => Layer.call(input);
}

/// <summary>Average pooling with a square window and stride equal to the window.</summary>
public sealed record AvgPoolStage(int Kernel) : NetworkStage
{
    public override Tensor Forward(Tensor input) => nn.functional.avg_pool2d(input, Kernel);
}

/// <summary>Average pooling over each whole map, to 1x1 (the ResNets' global pooling).</summary>
public sealed record GlobalAvgPoolStage : NetworkStage
{
    public override Tensor Forward(Tensor input) => nn.functional.adaptive_avg_pool2d(input, [1, 1]);
}

/// <summary>
/// A residual block: <c>relu(main(x) + shortcut(x))</c>, each a list of stages run in order; an empty shortcut is
/// <c>x</c> itself.
/// </summary>
public sealed record ResidualStage(IReadOnlyList<NetworkStage> Main, IReadOnlyList<NetworkStage> Shortcut) : NetworkStage
{
    public override Tensor Forward(Tensor input)
    {
        using var main = SequentialForward.Run(Main, input);
        using var shortcut = Shortcut.Count == 0 ? input.alias() : SequentialForward.Run(Shortcut, input);
        using var sum = main.add(shortcut, HeldScalars.One);
        return nn.functional.relu(sum);
    }
}

/// <summary>
/// The parameter-free shortcut of He et al.'s CIFAR ResNets (option A): every second row and column when
/// <paramref name="Subsample"/>, then <paramref name="PadChannels"/> zero channels, half before and half after.
/// </summary>
public sealed record ZeroPadShortcutStage(bool Subsample, long PadChannels) : NetworkStage
{
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var thinned = Subsample
            ? input[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)]
            : input.alias();
        long half = PadChannels / 2;
        return nn.functional.pad(thinned, [0, 0, 0, 0, half, PadChannels - half]);
    }
}
