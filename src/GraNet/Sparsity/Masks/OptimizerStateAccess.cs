using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Masks;

/// <summary>
/// The optimizer's per-weight state of one parameter, for every TorchSharp 0.107 optimizer whose
/// per-weight state starts at 0: SGD's momentum buffer; Adam's and AdamW's <c>exp_avg</c>,
/// <c>exp_avg_sq</c> and (AMSGrad) <c>max_exp_avg_sq</c>; Adamax's <c>exp_avg</c> and <c>exp_inf</c>;
/// NAdam's and RAdam's <c>exp_avg</c> and <c>exp_avg_sq</c>; RMSprop's <c>square_avg</c>,
/// <c>momentum_buffer</c> and <c>grad_avg</c>; Adagrad's <c>sum</c>; Adadelta's <c>square_avg</c> and
/// <c>acc_delta</c>; ASGD's average <c>ax</c>. The state is recognised by its type, so subclasses
/// that keep their base's state (e.g. <see cref="Training.Optimizers.ScalarSafeSgd"/>) are covered;
/// any other state type is refused with an <see cref="ArgumentException"/> rather than left unmasked.
/// </summary>
/// <remarks>
/// Adagrad's <c>sum</c> starts at its <c>initial_accumulator_value</c>; masked positions restart
/// from 0 instead (Adagrad's default). Rprop is refused: its per-weight step size starts at the
/// learning rate, and a step size zeroed by masking would keep a regrown weight at Rprop's minimum
/// step. LBFGS is refused: its state is a history over all parameters together, not per weight.
/// </remarks>
public static class OptimizerStateAccess
{
    /// <summary>The optimizers whose state is masked, for messages.</summary>
    public const string Supported = "SGD, Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Adagrad, Adadelta and ASGD (or subclasses keeping their state type)";

    /// <summary>
    /// Refuses an optimizer whose per-weight state this class does not know, so that none of its
    /// state is left unmasked silently. Call it where the masks are made for <paramref name="optimizer"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The optimizer, or the state of one of its parameters, is not supported.</exception>
    public static void RequireSupported(optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        foreach (var state in States(optimizer))
        {
            _ = TensorsOf(state, optimizer.GetType().Name);
        }
    }

    /// <summary>The per-parameter states of <paramref name="optimizer"/> in <c>parameters()</c> order (read once per update, then indexed).</summary>
    /// <exception cref="ArgumentException">The optimizer keeps no per-parameter states (e.g. LBFGS), or none for a parameter it holds (the model was converted after the optimizer was made).</exception>
    public static IReadOnlyList<OptimizerState> States(optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (optimizer is not OptimizerHelper helper)
        {
            throw Unsupported(optimizer.GetType().Name, "it keeps no per-parameter state that masks can reach");
        }
        try
        {
            return helper.state_dict().State;
        }
        catch (KeyNotFoundException e)
        {
            // TorchSharp keys the state by each parameter's handle, which model.to(...) replaces under the optimizer.
            throw new ArgumentException(Training.Optimizers.ParameterStates.Replaced(optimizer.GetType().Name), nameof(optimizer), e);
        }
    }

    /// <summary>The options (hyperparameters) of each parameter's group, in <c>parameters()</c> order (read once per update, then indexed).</summary>
    /// <exception cref="ArgumentException">The optimizer keeps no parameter groups (e.g. LBFGS).</exception>
    public static IReadOnlyList<OptimizerOptions> ParameterOptions(optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (optimizer is not OptimizerHelper helper)
        {
            throw Unsupported(optimizer.GetType().Name, "it keeps no parameter groups");
        }
        var dictionary = helper.state_dict();
        var options = new OptimizerOptions[dictionary.State.Count];
        for (int g = 0; g < dictionary.StateIndexRef.Count; g++)
        {
            foreach (int index in dictionary.StateIndexRef[g])
            {
                options[index] = dictionary.Options[g];
            }
        }
        return options;
    }

    /// <summary>Every per-weight state tensor of parameter <paramref name="index"/> (none where the optimizer has not made it, e.g. SGD's buffer before the first step).</summary>
    /// <exception cref="ArgumentException">The parameter's state is of a type this class does not know.</exception>
    public static IEnumerable<Tensor> PerWeightState(IReadOnlyList<OptimizerState> states, int index)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (index < 0 || index >= states.Count)
        {
            return [];
        }
        var state = states[index];
        return TensorsOf(state, state.GetType().DeclaringType?.Name ?? state.GetType().Name).OfType<Tensor>().Where(t => !t.IsInvalid);
    }

    private static Tensor?[] TensorsOf(OptimizerState state, string optimizer) => state switch
    {
        SGD.State s => [s.momentum_buffer],
        Adam.State s => [s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq],
        AdamW.State s => [s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq],
        Adamax.State s => [s.exp_avg, s.exp_inf],
        NAdam.State s => [s.exp_avg, s.exp_avg_sq],
        RAdam.State s => [s.exp_avg, s.exp_avg_sq],
        RMSProp.State s => [s.square_avg, s.momentum_buffer, s.grad_avg],
        Adagrad.State s => [s.sum],
        Adadelta.State s => [s.square_avg, s.acc_delta],
        ASGD.State s => [s.ax],
        Rprop.State => throw Unsupported(optimizer, "its per-weight step sizes start at the learning rate, not 0, so masking cannot reset them for regrown weights"),
        _ => throw Unsupported(optimizer, $"its per-weight state {state.GetType().FullName} is unknown, so masking could leave some of it alive at pruned positions"),
    };

    private static ArgumentException Unsupported(string optimizer, string reason) =>
        new($"GraNet cannot mask the optimizer state of {optimizer}: {reason}; use {Supported}.", "optimizer");
}
