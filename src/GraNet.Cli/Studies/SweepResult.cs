namespace GraNet.Cli.Studies;

/// <summary>The outcome of one sweep cell, read from its summary.json.</summary>
/// <param name="CollapseCause">Which layers pruning emptied, and the fix, for a run that collapsed so (see <see cref="RunOutcome"/>); null otherwise.</param>
/// <param name="CollapseKind">summary.json's <c>collapseKind</c> for a collapsed run (<c>blew-up</c>, <c>fell-back</c>, <c>learned-nothing</c>); null otherwise, and for runs written before it existed.</param>
/// <param name="CpuKernels">summary.json's <c>cpuKernels</c>, the kernel set the run ran (<c>avx2</c>, …); null for runs written before it existed.</param>
/// <param name="SettingsChangedAtEpochs">summary.json's <c>settingsChangedAtEpochs</c>: the epochs from which a resumed run ran with other threads or kernels (empty, or null for runs written before it existed, when none).</param>
/// <param name="Images">summary.json's <c>trainingImagesSha256</c> and <c>testImagesSha256</c>: what the run was trained and tested on; null for runs written before they existed.</param>
public sealed record SweepResult(SweepCell Cell, string Outcome, double TestAccuracy, double FinalDensity, double TrainingFlops, double InferenceFlops, double WallSeconds, string? CollapseCause = null,
    string? CollapseKind = null, string? CpuKernels = null, IReadOnlyList<int>? SettingsChangedAtEpochs = null, (string Training, string Test)? Images = null)
{
    /// <summary>How the run ended, for <see cref="SeedPlan"/>.</summary>
    public RunOutcome Run => new(Outcome, CollapseCause);

    /// <summary>How the run ended, for the tables: <c>collapsed: weights blew up</c>, <c>collapsed: fell back to chance</c>,
    /// <c>collapsed: learned nothing</c>, or the outcome alone (<c>collapsed</c> of a run that does not say which, <c>diverged</c>).</summary>
    public string Ending => CollapseKind is { } kind && Kinds.TryGetValue(kind, out string? words) ? $"{Outcome}: {words}" : Outcome;

    /// <summary>The words for each <see cref="GraNet.Training.CollapseKind"/>, by the name summary.json gives it.</summary>
    private static readonly Dictionary<string, string> Kinds = new()
    {
        [EnumNames.Of(Training.CollapseKind.BlewUp)] = "weights blew up",
        [EnumNames.Of(Training.CollapseKind.FellBack)] = "fell back to chance",
        [EnumNames.Of(Training.CollapseKind.LearnedNothing)] = "learned nothing",
    };
}

/// <summary>A cell that ran out of seeds with fewer runs that trained than the sweep asks for.</summary>
/// <param name="Text">E.g. <c>dense: 0 of 1 runs trained (seeds 17–20 diverged)</c>.</param>
/// <param name="Collapsed">Whether a run of it collapsed with no cause in its summary (another seed may train), not only diverged.</param>
/// <param name="PrunedAway">Whether its last run collapsed because pruning emptied whole layers (the text gives the cause and its fix; no seed would help).</param>
public sealed record SweepShortfall(string Text, bool Collapsed, bool PrunedAway = false);
