using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Training.Optimizers;

/// <summary>An optimizer's state of one of its parameters, or what to do when it has none.</summary>
internal static class ParameterStates
{
    /// <exception cref="InvalidOperationException">The optimizer keeps no state for <paramref name="parameter"/>: the model's parameters were replaced after the optimizer was made.</exception>
    public static TState Of<TState>(TorchSharp.Utils.OrderedDict<IntPtr, OptimizerState> states, Parameter parameter, string optimizer) where TState : OptimizerState =>
        states.TryGetValue(parameter.Handle, out var state)
            ? (TState)state
            : throw new InvalidOperationException(Replaced(optimizer));

    /// <summary>What to say of an optimizer whose parameters <c>model.to(...)</c> replaced: the cause and the order that avoids it.</summary>
    public static string Replaced(string optimizer) =>
        $"{optimizer} has no state for one of its parameters: the model's parameters were replaced after the optimizer was made (model.to(...) to another type or device does that); move or convert the model first, then create the optimizer (and any SparsityController).";
}
