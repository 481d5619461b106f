using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Training.Optimizers;

/// <summary>
/// TorchSharp's <see cref="SGD"/> with the same update, but every <see cref="Scalar"/> it passes
/// to libtorch is held in a local until the call returns.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's step converts doubles to <see cref="Scalar"/> implicitly inside each call
/// (<c>grad.add(param, alpha: weight_decay)</c>). The temporary is unreachable as soon as its
/// handle is read, so a garbage collection started by another thread during the native call
/// can finalize it and free the value libtorch is about to read ("Unknown scalar type" or
/// "Expected false to be true" from <c>Scalar::toFloat</c>). This class keeps the scalars alive
/// and disposes them deterministically. Its state is <see cref="SGD.State"/>, so checkpoints and
/// <see cref="Sparsity.Masks.OptimizerStateAccess"/> treat it exactly like <see cref="SGD"/>.
/// </remarks>
public sealed class ScalarSafeSgd : SGD
{
    /// <summary>Same arguments and checks as <see cref="SGD"/>'s constructor.</summary>
    public ScalarSafeSgd(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(parameters, lr, momentum, dampening, weightDecay, nesterov, maximize)
    {
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        double momentum = options.momentum!.Value, dampening = options.dampening!.Value, weightDecay = options.weight_decay!.Value;
        bool nesterov = options.nesterov!.Value, maximize = options.maximize!.Value;
        double lr = options.LearningRate!.Value;
        using Scalar decay = weightDecay.ToScalar(), beta = momentum.ToScalar(), undamped = (1 - dampening).ToScalar(), rate = (maximize ? lr : -lr).ToScalar();
        foreach (var param in group.Parameters)
        {
            var grad = param.grad;
            if (grad is null)
            {
                continue;
            }

            if (weightDecay != 0)
            {
                grad = grad.add(param, decay);
            }

            if (momentum != 0)
            {
                var state = ParameterStates.Of<State>(_state, param, nameof(ScalarSafeSgd));
                var buffer = state.momentum_buffer;
                if (buffer is null)
                {
                    buffer = grad.clone().detach().DetachFromDisposeScope();
                    state.momentum_buffer = buffer;
                }
                else
                {
                    buffer.mul_(beta).add_(grad, undamped);
                }

                grad = nesterov ? grad.add(buffer, beta) : buffer;
            }

            param.add_(grad, rate);
        }
    }, closure)!;
}
