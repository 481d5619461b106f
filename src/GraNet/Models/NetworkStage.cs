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
