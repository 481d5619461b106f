namespace GraNet.Sparsity;

/// <summary>
/// A growth event found no non-zero gradient anywhere in the model: the gradients were cleared before the mask update
/// (a loop that calls <c>zero_grad</c> first), or none reaches the weights (a dead network, whose every unit outputs 0).
/// </summary>
public sealed class NoGradientException(string message) : InvalidOperationException(message);
