namespace GraNet.Cli.Studies;

/// <summary>The outcome of one sweep cell, read from its summary.json.</summary>
public sealed record SweepResult(SweepCell Cell, string Outcome, double TestAccuracy, double FinalDensity, double TrainingFlops, double InferenceFlops, double WallSeconds);

/// <summary>A cell that ran out of seeds with fewer runs that trained than the sweep asks for.</summary>
/// <param name="Text">E.g. <c>dense: 0 of 1 runs trained (seeds 17–20 diverged)</c>.</param>
/// <param name="Collapsed">Whether a run of it collapsed (another seed may train), not only diverged.</param>
public sealed record SweepShortfall(string Text, bool Collapsed);
