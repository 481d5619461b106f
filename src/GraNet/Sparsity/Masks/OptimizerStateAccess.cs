using GraNet.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Masks;

/// <summary>The optimizer's per-weight state of one parameter: SGD's momentum buffer, Adam's moments.</summary>
public static class OptimizerStateAccess
{
    /// <summary>The per-parameter states of <paramref name="optimizer"/> (read once per update, then indexed).</summary>
    public static IReadOnlyList<OptimizerState> States(optim.Optimizer optimizer) =>
        optimizer is OptimizerHelper helper ? helper.state_dict().State : [];

    /// <summary>Every per-weight state tensor of parameter <paramref name="index"/> (empty before the first step).</summary>
    public static IEnumerable<Tensor> PerWeightState(IReadOnlyList<OptimizerState> states, int index)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (index < 0 || index >= states.Count)
        {
            yield break;
        }
        switch (states[index])
        {
            case SGD.State sgd when sgd.momentum_buffer is { } buffer && !buffer.IsInvalid:
                yield return buffer;
                break;
            case Adam.State adam:
                foreach (var t in new[] { adam.exp_avg, adam.exp_avg_sq, adam.max_exp_avg_sq })
                {
                    if (t is not null && !t.IsInvalid)
                    {
                        yield return t;
                    }
                }
                break;
            default:
                break;
        }
    }

    private static Tensor AdamDirection(Tensor first, Tensor second)
    {
        using Scalar epsilon = 1e-8.ToScalar();
        using var root = second.sqrt();
        return first.div(root.add_(epsilon, HeldScalars.One));
    }

    /// <summary>
    /// The momentum of parameter <paramref name="index"/>: SGD's buffer, or Adam's
    /// <c>m / (√v + 1e-8)</c>; null before the first step or for other optimizers.
    /// </summary>
    public static Tensor? Momentum(optim.Optimizer optimizer, int index)
    {
        if (index < 0 || optimizer is not OptimizerHelper helper)
        {
            return null;
        }
        var states = helper.state_dict().State;
        if (index >= states.Count)
        {
            return null;
        }
        return states[index] switch
        {
            SGD.State sgd when sgd.momentum_buffer is { } buffer && !buffer.IsInvalid => buffer.alias(),
            Adam.State adam when adam.exp_avg is not null && adam.exp_avg_sq is not null => AdamDirection(adam.exp_avg, adam.exp_avg_sq),
            _ => null,
        };
    }
}
