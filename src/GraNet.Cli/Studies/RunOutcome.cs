namespace GraNet.Cli.Studies;

/// <summary>How a run of a study ended, as its summary.json says.</summary>
/// <param name="Outcome"><c>completed</c>, <c>collapsed</c> (training loss not below chance) or <c>diverged</c> (NaN loss).</param>
/// <param name="CollapseCause">
/// For a run that collapsed because pruning emptied whole layers, which ones and the fix (summary.json's <c>collapseCause</c>);
/// null otherwise. Another seed prunes them alike, so such a run is not replaced by the next seed.
/// </param>
public sealed record RunOutcome(string Outcome, string? CollapseCause = null)
{
    /// <summary>The run did not train and does not count.</summary>
    public bool Failed => SeedPlan.Failed(Outcome);

    /// <summary>The run did not train, and no other seed would: its collapse has a cause.</summary>
    public bool FailsEverySeed => Failed && CollapseCause is not null;
}
