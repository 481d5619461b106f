using GraNet.Sparsity;

namespace GraNet.Cli.Studies;

/// <summary>
/// The groups of a sweep: every method × final density (× initial density for granet and
/// granet-uniform); dense appears once, and so does a method, density or initial density given twice. Each group wants <c>seeds</c> runs that trained; a
/// collapsed or diverged run is kept, counted and replaced by the next seed (at most <c>replacements</c> times per group).
/// </summary>
public sealed class SweepGrid(IReadOnlyList<SparsityMethodKind> methods, IReadOnlyList<double> finalDensities, IReadOnlyList<double> initDensities, int seeds, int firstSeed,
    int replacements = SeedPlan.DefaultReplacements)
{
    public int Seeds { get; } = seeds;

    /// <summary>Seeds a group may try in place of runs that collapsed or diverged.</summary>
    public int Replacements { get; } = replacements >= 0 ? replacements : throw new ArgumentOutOfRangeException(nameof(replacements), replacements, "Replacements cannot be negative.");

    public int FirstSeed { get; } = firstSeed;

    /// <summary>Each group's cell at its first seed; later seeds are <c>cell with { Seed = … }</c>.</summary>
    public IReadOnlyList<SweepCell> Groups()
    {
        var groups = new List<SweepCell>();
        foreach (var method in methods.Distinct())
        {
            if (method == SparsityMethodKind.Dense)
            {
                groups.Add(new SweepCell(method, 1, 1, FirstSeed));
                continue;
            }
            foreach (double final in finalDensities.Distinct())
            {
                var inits = method is SparsityMethodKind.GraNet or SparsityMethodKind.GraNetUniform ? initDensities : [method is SparsityMethodKind.Gmp or SparsityMethodKind.GmpUniform ? 1.0 : final];
                foreach (double init in inits.Distinct())
                {
                    groups.Add(new SweepCell(method, final, init, FirstSeed));
                }
            }
        }
        return groups;
    }

    /// <summary>The last seed a group may run: after it, a run that did not train has no replacement.</summary>
    public int LastSeed => SeedPlan.LastSeed(FirstSeed, Seeds, Replacements);

    /// <summary>Every seed a group may run: <see cref="Seeds"/> from <see cref="FirstSeed"/> on, and the replacements for collapsed runs.</summary>
    public IEnumerable<int> AllSeeds => SeedPlan.All(FirstSeed, Seeds, Replacements);

    /// <summary>
    /// The seeds to run for a group given what is known so far: seeds from <see cref="FirstSeed"/> on,
    /// until <see cref="Seeds"/> of them trained (collapsed and diverged ones do not count), or one collapsed because pruning emptied whole layers.
    /// </summary>
    public IEnumerable<int> SeedsFor(Func<int, RunOutcome?> outcomeOf) => SeedPlan.Seeds(FirstSeed, Seeds, Replacements, outcomeOf);

    /// <summary>
    /// This grid, with as many more replacements as it takes to reach the runs of later seeds that <paramref name="present"/>
    /// finds in any group (<see cref="SeedPlan.Reaching"/>): continuing the sweep or tabulating it never leaves out a run it holds.
    /// </summary>
    public SweepGrid Reaching(Func<SweepCell, bool> present)
    {
        ArgumentNullException.ThrowIfNull(present);
        int reaching = Groups().Select(group => SeedPlan.Reaching(FirstSeed, Seeds, Replacements, seed => present(group with { Seed = seed }))).DefaultIfEmpty(Replacements).Max();
        return reaching == Replacements ? this : new SweepGrid(methods, finalDensities, initDensities, Seeds, FirstSeed, reaching);
    }
}
