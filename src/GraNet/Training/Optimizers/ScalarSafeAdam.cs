using GraNet.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Training.Optimizers;

/// <summary>
/// TorchSharp's <see cref="Adam"/> with the same update, every <see cref="Scalar"/> held until
/// libtorch has read it (see <see cref="ScalarSafeSgd"/> for the race this avoids). Its state is
/// <see cref="Adam.State"/>.
/// </summary>
public sealed class ScalarSafeAdam : Adam
{
    /// <summary>Same arguments and checks as <see cref="Adam"/>'s constructor.</summary>
    public ScalarSafeAdam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize)
    {
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, weightDecay = options.weight_decay!.Value;
        double eps = options.eps!.Value, lr = options.LearningRate!.Value;
        bool amsgrad = options.amsgrad!.Value, maximize = options.maximize!.Value;
        using Scalar decay = weightDecay.ToScalar(), keep1 = beta1.ToScalar(), keep2 = beta2.ToScalar();
        using Scalar new1 = (1 - beta1).ToScalar(), new2 = (1 - beta2).ToScalar(), epsilon = eps.ToScalar();
        foreach (var param in group.Parameters)
        {
            var grad = param.grad;
            if (grad is null)
            {
                continue;
            }

            if (maximize)
            {
                grad = grad.neg();
            }

            var state = ParameterStates.Of<State>(_state, param, nameof(ScalarSafeAdam));
            state.step += 1;
            double correction1 = 1 - Math.Pow(beta1, state.step);
            double correction2 = 1 - Math.Pow(beta2, state.step);
            if (weightDecay != 0)
            {
                grad = grad.add(param, decay);
            }

            state.exp_avg.mul_(keep1).add_(grad, new1);
            state.exp_avg_sq.mul_(keep2).addcmul_(grad, grad.conj(), new2);
            Tensor second = state.exp_avg_sq;
            if (amsgrad)
            {
                var previous = state.max_exp_avg_sq;
                state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                previous.Dispose();
                second = state.max_exp_avg_sq;
            }

            using Scalar root = Math.Sqrt(correction2).ToScalar(), stepSize = (-lr / correction1).ToScalar();
            var denominator = second.sqrt().div_(root).add_(epsilon, HeldScalars.One);
            param.addcdiv_(state.exp_avg, denominator, stepSize);
        }
    }, closure)!;
}
