namespace GraNet.Training;

/// <summary>The loss became NaN or infinite. The message says where and what to try, naming options as <c>TrainingOptions.Property</c>.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
