using TorchSharp;
using static TorchSharp.torch;

namespace GraNet.Training;

/// <summary>A copy of a model's state (parameters and buffers) kept in memory, to be written back later.</summary>
internal sealed class WeightSnapshot : IDisposable
{
    private Dictionary<string, Tensor>? state;

    public bool Held => state is not null;

    /// <summary>Replaces the copy with <paramref name="model"/>'s current state.</summary>
    public void Keep(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Dispose();
        using var guard = no_grad();
        state = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>Copies the kept state into <paramref name="model"/> (of the same architecture).</summary>
    public void RestoreInto(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (state is null)
        {
            throw new InvalidOperationException("No state kept.");
        }
        using var guard = no_grad();
        foreach (var (name, value) in model.state_dict())
        {
            value.copy_(state[name]);
        }
    }

    public void Dispose()
    {
        if (state is null)
        {
            return;
        }
        foreach (var tensor in state.Values)
        {
            tensor.Dispose();
        }
        state = null;
    }
}
