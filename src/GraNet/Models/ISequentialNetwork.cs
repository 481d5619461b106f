using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>A model whose forward pass is its <see cref="Stages"/> run in order.</summary>
public interface ISequentialNetwork
{
    IReadOnlyList<NetworkStage> Stages { get; }
}

/// <summary>Runs a list of stages densely, disposing the intermediate tensors.</summary>
public static class SequentialForward
{
    public static Tensor Run(IReadOnlyList<NetworkStage> stages, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(stages);
        Tensor current = input;
        foreach (var stage in stages)
        {
            var next = stage.Forward(current);
            if (!ReferenceEquals(current, input))
            {
                current.Dispose();
            }
            current = next;
        }
        return current;
    }
}
