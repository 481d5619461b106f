namespace GraNet.Training;

/// <summary>The loss became NaN or infinite, or no gradient reached the weights (a dead network). The message says where and what to try, naming options as <c>TrainingOptions.Property</c>.</summary>
public sealed class TrainingDivergedException(string message, Exception? inner = null) : Exception(message, inner);
