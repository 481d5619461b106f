using System.Globalization;
using System.Text;
using System.Text.Json;
using GraNet.Cli.Configuration;
using GraNet.Cli.Output;
using GraNet.Training;

namespace GraNet.Cli.Studies;

/// <summary>
/// <c>granet plasticity --seeds N</c>: the study of <see cref="PlasticityCommand"/> on N base runs, seeds from the
/// configuration's on, each in <c>STUDY/seed-S</c> (a base run that collapses or diverges is kept, reported and
/// replaced by the next seed, as in a sweep), then averaged: <c>plasticity.csv</c> with every seed's cells,
/// <c>plasticity.md</c> with the mean ± standard deviation of each cell and each seed's value, and charts of the means
/// with their standard deviations. Rerunning the command continues it: finished seeds and cells are skipped.
/// </summary>
public static class PlasticitySeeds
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>One seed's study: its cells, or why its base run did not count.</summary>
    public sealed record SeedStudy(int Seed, string? Failure, IReadOnlyList<PlasticityCell> Cells);

    /// <summary>The study of one seed inside a study over seeds.</summary>
    public static string SeedFolder(string folder, int seed) => Path.Combine(folder, SeedName(seed));

    /// <summary>The name of a seed's folder (and of its TensorBoard sub-folder), e.g. <c>seed-17</c>.</summary>
    private static string SeedName(int seed) => string.Create(Invariant, $"seed-{seed}");

    /// <summary>Whether <paramref name="folder"/> holds the seed-N studies of a study over seeds.</summary>
    public static bool HoldsSeedStudies(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateDirectories(folder, "seed-*").Any(d => Directory.Exists(Path.Combine(d, "base")));

    /// <summary>Runs the study on <paramref name="seeds"/> base runs that trained and writes the averaged outputs into <paramref name="folder"/>.</summary>
    /// <param name="claimFolder">The folder is a default name: claim a new one instead of continuing one.</param>
    /// <param name="replacements">Seeds that may replace base runs that collapsed or diverged; more if the folder already holds later seeds' studies (from a command given more).</param>
    /// <param name="locator">Where the data is looked for, and how its messages name the data folder (default: as <c>--data-dir</c>).</param>
    public static int Run(RunConfiguration baseline, int seeds, IReadOnlyList<int> epochs, IReadOnlyList<double> rates, IReadOnlyList<RegenerationMode> modes, int continueEpochs, string folder, string commandLine, TextWriter output, bool claimFolder = false,
        int replacements = SeedPlan.DefaultReplacements, GraNet.Data.DataLocator? locator = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(seeds, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(replacements);
        // Before the folder is made: an unknown name is refused with nothing written.
        GraNet.Models.ModelRegistry.Get(baseline.Model);
        GraNet.Data.DatasetCatalog.Get(baseline.Dataset);
        if (!claimFolder)
        {
            FolderContents.RequireNoOther(folder, FolderOutput.PlasticityStudy, "study");
        }
        if (claimFolder)
        {
            folder = RunFolder.Claim(folder);
        }
        else if (Directory.Exists(Path.Combine(folder, "base")) || File.Exists(Path.Combine(folder, PlasticityStudy.FileName)))
        {
            throw new ArgumentException($"{folder} holds a study of one seed (base/, {PlasticityStudy.FileName}); choose another --output for --seeds {seeds}, or leave out --seeds to continue it.");
        }
        Directory.CreateDirectory(folder);
        using var locked = new RunFolder(folder).Lock();
        RunFolder.RemoveStudyTemporaries(folder); // left by a killed study
        int first = baseline.Training.Seed;
        // A later seed's study, from a command given more replacements, stays in the averages.
        replacements = SeedPlan.Reaching(first, seeds, replacements, seed => Directory.Exists(SeedFolder(folder, seed)));
        string advice = $"finished seeds and cells are kept; run the same command again with --output {GraNet.IO.ShellQuoting.Quote(folder)} to continue.";
        var studies = new List<SeedStudy>();
        // The base run is dense or a static mask that keeps every layer: it never prunes, so no collapse of it has a cause that
        // every seed shares (summary.json's collapseCause), and a collapsed base run is replaced.
        foreach (int seed in SeedPlan.Seeds(first, seeds, replacements, s => BaseOutcome(folder, s) is { } outcome ? new RunOutcome(outcome) : null))
        {
            string study = SeedFolder(folder, seed);
            string? failure = BaseOutcome(folder, seed);
            if (!SeedPlan.Failed(failure))
            {
                output.WriteLine($"=== seed {seed}: {study}");
                // Each seed's base run logs to its own TensorBoard sub-folder, as a sweep's cells do.
                var configuration = baseline with
                {
                    Training = baseline.Training with { Seed = seed },
                    TensorBoard = baseline.TensorBoard is { } board ? Path.Combine(board, SeedName(seed)) : null,
                };
                try
                {
                    Interruption.Advise(advice);
                    var (code, cells, _) = PlasticityCommand.RunStudy(configuration, epochs, rates, modes, continueEpochs, study, null, commandLine, output, claimFolder: false, advise: false, locator: locator);
                    failure = BaseOutcome(folder, seed);
                    if (code == ExitCodes.Success)
                    {
                        studies.Add(new SeedStudy(seed, null, cells));
                    }
                    else if (!SeedPlan.Failed(failure))
                    {
                        return code;
                    }
                }
                catch (TrainingDivergedException) when (SeedPlan.Failed(BaseOutcome(folder, seed)))
                {
                    // The base run diverged (its summary says so); a divergence in a cell's continued training is an error.
                    failure = BaseOutcome(folder, seed);
                }
            }
            if (SeedPlan.Failed(failure))
            {
                studies.Add(new SeedStudy(seed, failure, []));
                bool left = seed < SeedPlan.LastSeed(first, seeds, replacements);
                output.WriteLine(left
                    ? $"=== seed {seed}: the base run {failure}; not counted, the next seed replaces it"
                    : $"=== seed {seed}: the base run {failure}; not counted, and no seed is left to replace it ({SeedPlan.Replacements(replacements)} at most)");
            }
            // Whether the seeds of the plan still to come can make up the runs missing: if not, the summary says that more
            // --replacements are needed, not that running the command again finishes the study.
            bool exhausted = SeedPlan.CannotFinish(first, seeds, replacements, seed, studies.Count(s => s.Failure is null));
            Write(folder, studies, baseline, continueEpochs, commandLine, new Progress(seeds, exhausted ? replacements : null));
        }
        int measured = studies.Count(s => s.Failure is null);
        if (measured < seeds)
        {
            var failed = studies.Where(s => s.Failure is not null).Select(s => string.Create(Invariant, $"{s.Seed} {s.Failure}"));
            // The folder's base runs were made with this command's options: another --lr or --seed needs another --output.
            string averaged = measured == 0 ? string.Empty : $" The {measured} measured seed{(measured == 1 ? " is" : "s are")} averaged in {Path.Combine(folder, "plasticity.md")}.";
            throw new ExitCodeException(ExitCodes.TrainingFailed, $"only {measured} of {seeds} base runs trained (seed {string.Join(", ", failed)}; {SeedPlan.Replacements(replacements)} at most); try more --replacements (with this --output, which keeps what has finished), or another --seed or a lower --lr with another --output.{averaged}");
        }
        output.WriteLine($"summary: {Path.Combine(folder, "plasticity.md")}");
        return ExitCodes.Success;
    }

    /// <summary>The outcome in seed <paramref name="seed"/>'s base run summary (completed, collapsed, diverged), or null before it has one.</summary>
    private static string? BaseOutcome(string folder, int seed) => new RunFolder(Path.Combine(SeedFolder(folder, seed), "base")).ReadOutcome();

    /// <summary>
    /// How far a study over seeds has come: the number of seeds the command asked for, and, once the seeds left in its plan
    /// cannot make up the base runs that failed, the replacements it was given (null while they still can).
    /// </summary>
    public sealed record Progress(int Asked, int? Exhausted = null);

    /// <summary>Writes the averaged outputs of the seeds measured so far (nothing before the first).</summary>
    private static void Write(string folder, IReadOnlyList<SeedStudy> studies, RunConfiguration baseline, int continueEpochs, string commandLine, Progress progress)
    {
        var measured = studies.Where(s => s.Failure is null).ToList();
        if (measured.Count == 0)
        {
            return;
        }
        var csv = new StringBuilder("seed,").Append(PlasticityCommand.CsvHeader).Append('\n');
        foreach (var study in measured)
        {
            foreach (var cell in study.Cells)
            {
                csv.Append(study.Seed.ToString(Invariant)).Append(',').AppendLine(PlasticityCommand.CsvRow(cell));
            }
        }
        AtomicFile.WriteText(Path.Combine(folder, "plasticity.csv"), csv.ToString());
        var cells = Aggregate(measured.Select(s => s.Cells).ToList());
        PlasticityCommand.DrawCharts(folder, cells.Select(c => c.Mean).ToList(), continueEpochs, cells.ToDictionary(c => c.Mean, c => c.Std), measured.Count);
        AtomicFile.WriteText(Path.Combine(folder, "plasticity.md"), Summary(studies, baseline, continueEpochs, commandLine, progress));
    }

    /// <summary>
    /// A cell over seeds: <see cref="Mean"/> averages the accuracies and densities (so its plasticity is the mean
    /// plasticity), <see cref="Std"/> is the sample standard deviation of plasticity (0 for one seed), and
    /// <see cref="Values"/> each seed's plasticity in seed order.
    /// </summary>
    public sealed record AggregateCell(PlasticityCell Mean, double Std, IReadOnlyList<double> Values);

    /// <summary>Each cell measured in every seed (in the first seed's order), over the seeds.</summary>
    public static IReadOnlyList<AggregateCell> Aggregate(IReadOnlyList<IReadOnlyList<PlasticityCell>> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count == 0)
        {
            return [];
        }
        var result = new List<AggregateCell>();
        foreach (var first in seeds[0])
        {
            var same = seeds.Select(cells => cells.FirstOrDefault(c => c.Epoch == first.Epoch && c.PruneRate == first.PruneRate && c.Regeneration == first.Regeneration)).ToList();
            if (same.Any(c => c is null))
            {
                continue;
            }
            var all = same.Select(c => c!).ToList();
            var mean = first with
            {
                DensityBefore = all.Average(c => c.DensityBefore),
                DensityAfter = all.Average(c => c.DensityAfter),
                AccuracyBefore = all.Average(c => c.AccuracyBefore),
                AccuracyPruned = all.Average(c => c.AccuracyPruned),
                AccuracyContinued = all.Average(c => c.AccuracyContinued),
            };
            var values = all.Select(c => c.Plasticity).ToList();
            result.Add(new AggregateCell(mean, SweepTables.MeanStd(values).Std, values));
        }
        return result;
    }

    /// <summary>
    /// The Markdown summary over seeds: a table per regeneration mode (mean ± std, each seed's value) and the findings.
    /// With a <paramref name="progress"/> that asked for more seeds than were measured (a study still running, stopped, or
    /// out of replacement seeds), it first says so.
    /// </summary>
    public static string Summary(IReadOnlyList<SeedStudy> studies, RunConfiguration baseline, int continueEpochs, string commandLine, Progress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(studies);
        ArgumentNullException.ThrowIfNull(baseline);
        var measured = studies.Where(s => s.Failure is null).ToList();
        var failed = studies.Where(s => s.Failure is not null).ToList();
        var cells = Aggregate(measured.Select(s => s.Cells).ToList());
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Pruning plasticity: {baseline.Model} on {baseline.Dataset}, {measured.Count} seed{(measured.Count == 1 ? string.Empty : "s")}");
        text.AppendLine();
        if (progress is { } plan && measured.Count < plan.Asked)
        {
            string counted = string.Create(Invariant, $"{measured.Count} of the {plan.Asked} seeds asked for");
            text.AppendLine(plan.Exhausted is { } replacements
                ? string.Create(Invariant, $"**Not finished: {counted} trained, and the seeds left cannot make up for the base runs that failed ({SeedPlan.Replacements(replacements)} at most).** The tables, charts and findings below average the measured seeds only; the command below, given more `--replacements` and this folder as its `--output`, measures more.")
                : $"**Not finished: {counted} measured.** The tables, charts and findings below average the measured seeds only; run the command below again, with this folder as its `--output`, to finish (finished seeds and cells are kept).");
            text.AppendLine();
        }
        string replaced = failed.Count == 0 ? string.Empty
            : "; " + string.Join(", ", failed.Select(s => string.Create(Invariant, $"seed {s.Seed}'s base run {s.Failure}"))) + " and did not count";
        string over = measured.Count == 1
            ? $"Plasticity in points, of the base run of seed {measured[0].Seed} alone (one seed: no spread to give){replaced}."
            : $"Plasticity in points, mean ± standard deviation over the base runs of seeds {string.Join(", ", measured.Select(s => s.Seed))}, each seed's value in brackets in that order{replaced}. The charts draw the means with their standard deviations.";
        text.AppendLine(CultureInfo.InvariantCulture, $"{over} Each seed's study, with its own tables (accuracy before, right after pruning and after continued training), charts and CSV, is in `seed-N/`; `plasticity.csv` here holds every seed's cells.");
        text.AppendLine();
        text.AppendLine(PlasticityCommand.Explanation(continueEpochs) + " Reproduce with:");
        text.AppendLine();
        text.AppendLine("```bash");
        text.AppendLine(commandLine);
        text.AppendLine("```");
        var rates = cells.Select(c => c.Mean.PruneRate).Distinct().Order().ToList();
        foreach (var mode in cells.Where(c => !c.Mean.IsControl).Select(c => c.Mean.Regeneration).Distinct())
        {
            string name = EnumNames.Of(mode);
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"## Regeneration: {name}");
            text.AppendLine();
            text.AppendLine("| epoch (lr) | accuracy before | " + string.Join(" | ", rates.Select(r => r == 0 ? "control, no pruning" : $"prune {PlasticityCell.Percent(r)} %")) + " |");
            text.AppendLine("|---|---|" + string.Concat(rates.Select(_ => "---|")));
            foreach (var group in cells.Where(c => c.Mean.Regeneration == mode || c.Mean.IsControl).GroupBy(c => c.Mean.Epoch).OrderBy(g => g.Key))
            {
                var row = rates.Select(r => group.FirstOrDefault(c => c.Mean.PruneRate == r) is { } c ? Format(c) : "–");
                var before = group.First().Mean;
                text.AppendLine(string.Create(Invariant, $"| {group.Key} ({before.LearningRate:G3}) | {before.AccuracyBefore:F2} | ") + string.Join(" | ", row) + " |");
            }
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"![plasticity, {name}](plasticity-{name}.png)");
        }
        text.AppendLine();
        text.AppendLine("## The paper's findings, checked on the means");
        text.AppendLine();
        foreach (string line in PlasticityCommand.Findings(cells.Select(c => c.Mean).ToList()))
        {
            text.AppendLine("- " + line);
        }
        if (RegenerationBySeed(measured) is { } bySeed)
        {
            text.AppendLine("- " + bySeed);
        }
        return text.ToString();
    }

    /// <summary>A cell of the table: mean ± std of plasticity and each seed's value.</summary>
    private static string Format(AggregateCell cell) => cell.Values.Count == 1
        ? string.Create(Invariant, $"{cell.Mean.Plasticity:+0.00;-0.00} (one seed)")
        : string.Create(Invariant, $"{cell.Mean.Plasticity:+0.00;-0.00} ± {cell.Std:0.00} (") + string.Join(", ", cell.Values.Select(v => v.ToString("+0.00;-0.00", Invariant))) + ")";

    /// <summary>How often regeneration raised plasticity within a seed, over every (seed, epoch, rate) with both modes; null without both.</summary>
    private static string? RegenerationBySeed(IReadOnlyList<SeedStudy> measured)
    {
        var pairs = measured.SelectMany(s => s.Cells.Where(c => c.Regeneration == RegenerationMode.None && !c.IsControl)
                .Select(n => (n, g: s.Cells.FirstOrDefault(g => g.Regeneration == RegenerationMode.Gradient && g.Epoch == n.Epoch && g.PruneRate == n.PruneRate))))
            .Where(p => p.g is not null).ToList();
        if (pairs.Count == 0)
        {
            return null;
        }
        int higher = pairs.Count(p => p.g!.Plasticity > p.n.Plasticity);
        var everySeed = pairs.GroupBy(p => (p.n.Epoch, p.n.PruneRate)).Where(g => g.All(p => p.g!.Plasticity > p.n.Plasticity)).OrderBy(g => g.Key.Epoch).ThenBy(g => g.Key.PruneRate)
            .Select(g => string.Create(Invariant, $"epoch {g.Key.Epoch} at {PlasticityCell.Percent(g.Key.PruneRate)} %")).ToList();
        string where = everySeed.Count == 0 ? "in no cell for every seed" : $"for every seed at {string.Join(", ", everySeed)}";
        return string.Create(Invariant, $"Seed by seed, regeneration raises plasticity in {higher} of {pairs.Count} (seed, epoch, rate) pairs; {where}.");
    }
}
