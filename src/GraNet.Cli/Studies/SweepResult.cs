namespace GraNet.Cli.Studies;

/// <summary>The outcome of one sweep cell, read from its summary.json.</summary>
public sealed record SweepResult(SweepCell Cell, string Outcome, double TestAccuracy, double FinalDensity, double TrainingFlops, double InferenceFlops, double WallSeconds);
