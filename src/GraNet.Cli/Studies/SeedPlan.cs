namespace GraNet.Cli.Studies;

/// <summary>
/// Which seeds a study runs when it wants <c>count</c> runs that trained: seeds from the first on, where a run
/// that collapsed (training loss not below chance) or diverged (NaN loss) is kept, counted and replaced by the next seed, at most
/// <c>replacements</c> times (<see cref="DefaultReplacements"/> unless the study is told otherwise); a run that collapsed because pruning emptied whole layers ends the seeds at once,
/// as every seed would collapse alike (<see cref="RunOutcome.FailsEverySeed"/>). Shared by <c>granet sweep</c> (per cell) and <c>granet plasticity --seeds</c> (per base run).
/// </summary>
public static class SeedPlan
{
    /// <summary>Replacement seeds per cell or study when none is given: enough for the occasional collapse, few enough that a setting where every seed fails stops soon.</summary>
    public const int DefaultReplacements = 3;

    /// <summary>"1 replacement", "3 replacements": how many seeds may replace runs that did not train.</summary>
    public static string Replacements(int replacements) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{replacements} replacement{(replacements == 1 ? string.Empty : "s")}");

    /// <summary>The value of <c>--replacements</c>, refused when negative.</summary>
    public static int RequireReplacements(int replacements) => replacements >= 0 ? replacements
        : throw new ArgumentException($"--replacements {replacements} cannot be negative (0: a run that collapses or diverges is not replaced).");

    /// <summary>Refuses seeds that would run past <see cref="int.MaxValue"/>: from <paramref name="first"/>, <paramref name="count"/> runs and <paramref name="replacements"/> replacements.</summary>
    public static void RequireSeedRange(int first, int count, int replacements)
    {
        if ((long)count + replacements > int.MaxValue)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"--seeds {count} and --replacements {replacements} together exceed {int.MaxValue} seeds; lower them (--replacements 0 replaces no run)."));
        }
        long last = (long)first + count + replacements - 1;
        if (count >= 1 && last > int.MaxValue)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"--seed {first} with --seeds {count} and {replacements} replacement(s) would run seeds up to {last}, past the largest seed {int.MaxValue}; give --seed {int.MaxValue - count - replacements + 1} or lower."));
        }
    }

    /// <summary>Whether a run's outcome (summary.json's <c>outcome</c>) is one that a next seed replaces.</summary>
    public static bool Failed(string? outcome) => outcome is "collapsed" or "diverged";

    /// <summary>
    /// The seeds to run, given what is known so far: lazy, so a run made while this is enumerated counts when the
    /// seeds after it are decided (<paramref name="outcomeOf"/> is asked after each seed has been handed out).
    /// </summary>
    public static IEnumerable<int> Seeds(int first, int count, int replacements, Func<int, RunOutcome?> outcomeOf)
    {
        ArgumentNullException.ThrowIfNull(outcomeOf);
        ArgumentOutOfRangeException.ThrowIfNegative(replacements);
        int trained = 0;
        for (int seed = first; seed < first + count + replacements && trained < count; seed++)
        {
            yield return seed;
            var outcome = outcomeOf(seed);
            if (outcome is { FailsEverySeed: true })
            {
                yield break;
            }
            if (outcome is not { Failed: true })
            {
                trained++;
            }
        }
    }

    /// <summary>
    /// Whether a study of <paramref name="count"/> runs can no longer get them: after seed <paramref name="seed"/>, with
    /// <paramref name="trained"/> runs that trained so far, the seeds left in the plan are fewer than the runs missing.
    /// </summary>
    public static bool CannotFinish(int first, int count, int replacements, int seed, int trained) =>
        trained + ((long)LastSeed(first, count, replacements) - seed) < count;

    /// <summary>The last seed a study may run: after it, a run that did not train has no replacement.</summary>
    public static int LastSeed(int first, int count, int replacements) => first + count + replacements - 1;

    /// <summary>
    /// <paramref name="replacements"/>, raised to reach the runs of later seeds that <paramref name="present"/> finds (seeds
    /// counted on from <see cref="LastSeed"/> while one is present): a folder holding the replacement seeds of an earlier
    /// command given more of them keeps them in its tables when continued or tabulated without the option.
    /// </summary>
    public static int Reaching(int first, int count, int replacements, Func<int, bool> present)
    {
        ArgumentNullException.ThrowIfNull(present);
        while (present(LastSeed(first, count, replacements) + 1))
        {
            replacements++;
        }
        return replacements;
    }

    /// <summary>Every seed a study may run: <paramref name="count"/> from <paramref name="first"/> on, and the replacements.</summary>
    public static IEnumerable<int> All(int first, int count, int replacements) => Enumerable.Range(first, count + replacements);
}
