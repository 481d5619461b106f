namespace GraNet.Training;

/// <summary>The loss became NaN or infinite. The message says where and what to try.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
