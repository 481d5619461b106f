using System.Globalization;
using System.Text;
using GraNet.Cli.Output;
using GraNet.Sparsity;

namespace GraNet.Cli.Studies;

/// <summary>Turns sweep results into results.csv and a Markdown page in the paper's Table 2 form.</summary>
public static class SweepTables
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Csv(IEnumerable<SweepResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var text = new StringBuilder("method,initDensity,finalDensity,seed,outcome,testAccuracy,measuredDensity,trainingFlopsRelative,inferenceFlopsRelative,wallSeconds,collapseKind,cpuKernels\n");
        foreach (var r in results)
        {
            text.AppendLine(string.Create(Invariant, $"{Commands.TrainOptions.MethodName(r.Cell.Method)},{r.Cell.InitDensity},{r.Cell.FinalDensity},{r.Cell.Seed},{r.Outcome},{r.TestAccuracy},{r.FinalDensity},{r.TrainingFlops},{r.InferenceFlops},{r.WallSeconds},{r.CollapseKind},{r.CpuKernels}"));
        }
        return text.ToString();
    }

    /// <summary>
    /// accuracy.png: test accuracy (mean ± std over the runs that trained) against sparsity, a line per sparse method. The
    /// x axis spans the sparsities of the sparse runs (widened by 10 % of that span at each end, 1 point for a single
    /// sparsity), not 0–100 %, where they would crowd together at one end; dense is a dashed horizontal line across them
    /// with its accuracy in the legend. With no sparse run that trained, dense is a point at sparsity 0. Null if no run trained.
    /// </summary>
    public static Charts.LineChart? AccuracyChart(IReadOnlyList<SweepResult> results, string title)
    {
        ArgumentNullException.ThrowIfNull(results);
        var trained = results.Where(r => r.Outcome == "completed").ToList();
        var dense = trained.Where(r => r.Cell.Method == SparsityMethodKind.Dense).Select(r => r.TestAccuracy).ToList();
        var series = trained.Where(r => r.Cell.Method != SparsityMethodKind.Dense).GroupBy(r => r.Cell.Label).Select(g =>
        {
            var points = g.GroupBy(r => 100 * (1 - r.Cell.FinalDensity)).OrderBy(p => p.Key).ToList();
            var stats = points.Select(p => MeanStd(p.Select(r => r.TestAccuracy).ToList())).ToList();
            return new Charts.Series(g.Key, points.Select(p => p.Key).ToArray(), stats.Select(s => s.Mean).ToArray(), stats.Select(s => s.Std).ToArray());
        }).ToList();
        if (series.Count == 0)
        {
            return dense.Count == 0 ? null
                : new Charts.LineChart(title, "sparsity (%)", "test accuracy (%)", [new Charts.Series("dense", [0], [MeanStd(dense).Mean], [MeanStd(dense).Std])]);
        }
        double low = series.Min(s => s.X.Min());
        double high = series.Max(s => s.X.Max());
        double margin = high > low ? 0.1 * (high - low) : 1;
        var references = new List<Charts.Reference>();
        if (dense.Count > 0)
        {
            var (mean, std) = MeanStd(dense);
            string label = dense.Count == 1
                ? string.Create(Invariant, $"dense: {mean:F2} %")
                : string.Create(Invariant, $"dense: {mean:F2} ± {std:F2} % ({dense.Count} runs)");
            references.Add(new Charts.Reference(label, mean));
        }
        return new Charts.LineChart(title, "sparsity (%)", "test accuracy (%)", series)
        {
            XRange = (Math.Max(0, low - margin), Math.Min(100, high + margin)),
            References = references,
        };
    }

    /// <summary>Mean and sample standard deviation; std is 0 for a single value.</summary>
    public static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return (double.NaN, double.NaN);
        }
        double mean = values.Average();
        double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return (mean, std);
    }

    /// <summary>
    /// Markdown: test accuracy (mean ± std over the runs that trained, with their count) per
    /// method and sparsity (dense in the column of sparsity 0 %), then training and inference FLOPs
    /// relative to dense, and the densities reached. Collapsed and diverged runs are listed below the tables,
    /// those at <paramref name="lastSeed"/> (<see cref="SweepGrid.LastSeed"/>) apart: no seed is left to replace them
    /// (<paramref name="replacements"/>, <see cref="SweepGrid.Replacements"/>, were used).
    /// </summary>
    /// <param name="unfinished">The runs of the grid that have not finished (folder names): said under the command, which trains them.</param>
    public static string Markdown(IReadOnlyList<SweepResult> results, string title, string command, int lastSeed, int replacements = SeedPlan.DefaultReplacements, IReadOnlyList<string>? unfinished = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        var trained = results.Where(r => r.Outcome == "completed").ToList();
        // One column per density, dense at 1.0 (sparsity 0 %): a sweep of dense cells alone has its column too.
        var sparsities = results.Select(r => Density(r.Cell)).Distinct().OrderByDescending(d => d).ToList();
        var labels = results.Select(r => r.Cell.Label).Distinct().ToList();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# {title}");
        text.AppendLine();
        // The CPU kernels the runs used (summary.json's): named on the line to reproduce when the command did not give them
        // (auto would choose another CPU's set), or listed when the runs differ (a sweep continued on another machine).
        var kernels = results.Select(r => r.CpuKernels).OfType<string>().GroupBy(k => k, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ToList();
        bool givesKernels = command.Contains(" --cpu-kernels ", StringComparison.Ordinal);
        text.AppendLine("Reproduce with:");
        text.AppendLine();
        text.AppendLine("```bash");
        text.AppendLine(kernels.Count == 1 && !givesKernels ? $"{command} --cpu-kernels {kernels[0].Key}" : command);
        text.AppendLine("```");
        text.AppendLine();
        if (unfinished is { Count: > 0 })
        {
            // Tables of part of the grid (a sweep still running, interrupted, or tabulated with --report-only) say so.
            int total = results.Count + unfinished.Count;
            text.AppendLine(CultureInfo.InvariantCulture, $"**Incomplete:** {unfinished.Count} of the {total} runs of this grid have not finished ({string.Join(", ", unfinished)}); the tables below leave them out. The command above trains them (finished runs are kept).");
            text.AppendLine();
        }
        if (kernels.Count > 1)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"The runs used different CPU kernels: {string.Join(", ", kernels.Select(g => $"{g.Key} ({g.Count()} run{(g.Count() == 1 ? string.Empty : "s")})"))}. A run repeats only with its own set (`--cpu-kernels`; each run's config.json has it).");
            text.AppendLine();
        }
        // What the runs were trained and tested on, by content: one data set is recorded for whoever repeats the sweep;
        // runs of several (a sweep continued with another --data-dir) are named, since their numbers do not compare.
        var images = results.Where(r => r.Images is not null).GroupBy(r => r.Images!.Value).OrderByDescending(g => g.Count()).ToList();
        // A diverged run has no numbers in the tables (and its summary no digests): it is not counted as of unknown data.
        int unknown = results.Count(r => r.Images is null && r.Outcome != "diverged");
        string unrecorded = unknown == 0 ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $" {unknown} run{(unknown == 1 ? " does" : "s do")} not record {(unknown == 1 ? "its" : "their")} data (written before digests, or resumed from such a checkpoint), so for {(unknown == 1 ? "it" : "them")} it is unknown.");
        if (images.Count == 1)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Data (SHA-256 of the images and labels as read; summary.json's `trainingImagesSha256`, `testImagesSha256`): training `{images[0].Key.Training}`, test `{images[0].Key.Test}`.{unrecorded}");
            text.AppendLine();
        }
        else if (images.Count > 1)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"The runs were trained or tested on different images (summary.json's `trainingImagesSha256`, `testImagesSha256`), so their numbers do not compare: {string.Join("; ", images.Select(g => $"training `{g.Key.Training[..12]}…`, test `{g.Key.Test[..12]}…`: {string.Join(", ", g.Select(r => r.Cell.FolderName))}"))}.");
            text.AppendLine();
        }
        // A run resumed with other threads or kernels than it started with rounds differently from there: the line repeats it only up to there.
        var mixed = results.Where(r => r.SettingsChangedAtEpochs is { Count: > 0 }).ToList();
        if (mixed.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Resumed with other threads or CPU kernels than they started with (summary.json's `settingsChangedAtEpochs`): {string.Join(", ", mixed.Select(r => $"{r.Cell.FolderName} (from epoch {string.Join(", ", r.SettingsChangedAtEpochs!)})"))}. The command above repeats such a run only up to that epoch.");
            text.AppendLine();
        }
        text.AppendLine("## Test accuracy (%), mean ± std over the runs that trained (n)");
        text.AppendLine();
        Table(text, labels, sparsities, trained, rows =>
        {
            var (mean, std) = MeanStd(rows.Select(r => r.TestAccuracy).ToList());
            // One run has no spread to give.
            return rows.Count == 1 ? string.Create(Invariant, $"{mean:F2} (1)") : string.Create(Invariant, $"{mean:F2} ± {std:F2} ({rows.Count})");
        });
        text.AppendLine();
        text.AppendLine("## Training FLOPs / inference FLOPs, relative to dense");
        text.AppendLine();
        Table(text, labels, sparsities, trained, rows =>
            string.Create(Invariant, $"{rows.Average(r => r.TrainingFlops):F3} / {rows.Average(r => r.InferenceFlops):F3}"));
        text.AppendLine();
        text.AppendLine("## Final density reached");
        text.AppendLine();
        Table(text, labels, sparsities, trained, rows =>
            string.Join(", ", rows.Select(r => r.FinalDensity.ToString("0.0000", Invariant)).Distinct()));
        var collapsed = results.Where(r => r.Outcome != "completed").ToList();
        var prunedAway = collapsed.Where(r => r.Run.FailsEverySeed).ToList();
        var replaced = collapsed.Where(r => r.Cell.Seed < lastSeed && !r.Run.FailsEverySeed).ToList();
        var unreplaced = collapsed.Where(r => r.Cell.Seed >= lastSeed && !r.Run.FailsEverySeed).ToList();
        if (collapsed.Count > 0)
        {
            text.AppendLine();
        }
        if (replaced.Count > 0)
        {
            text.AppendLine("Runs that did not train (replaced by the next seed): " + string.Join(", ", replaced.Select(r => $"{r.Cell.FolderName} ({r.Ending})")) + ".");
        }
        if (unreplaced.Count > 0)
        {
            text.AppendLine(string.Create(Invariant, $"Runs that did not train, with no seed left to replace them ({SeedPlan.Replacements(replacements)} at most per cell): ")
                + string.Join(", ", unreplaced.Select(r => $"{r.Cell.FolderName} ({r.Ending})")) + ".");
        }
        if (prunedAway.Count > 0)
        {
            text.AppendLine("Runs that collapsed because pruning emptied whole layers, not replaced (every seed would collapse alike): "
                + string.Join(", ", prunedAway.Select(r => $"{r.Cell.FolderName} ({r.CollapseCause!.TrimEnd('.')})")) + ".");
        }
        return text.ToString();
    }

    /// <summary>
    /// The groups of <paramref name="grid"/> whose every seed has finished with fewer runs that trained than it asks for
    /// (all replacements used), each as e.g. <c>dense: 0 of 1 runs trained (seeds 17–20 diverged)</c>, in the order of
    /// <paramref name="results"/>. A group with a seed still to run is not counted.
    /// </summary>
    public static IReadOnlyList<SweepShortfall> Shortfalls(IReadOnlyList<SweepResult> results, SweepGrid grid)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(grid);
        var shortfalls = new List<SweepShortfall>();
        foreach (var group in results.GroupBy(r => r.Cell.Group))
        {
            var runs = group.ToDictionary(r => r.Cell.Seed, r => r.Run);
            var seeds = grid.SeedsFor(runs.GetValueOrDefault).ToList();
            int trained = seeds.Count(s => runs.TryGetValue(s, out var run) && !run.Failed);
            if (trained >= grid.Seeds || !seeds.All(runs.ContainsKey))
            {
                continue;
            }
            var failed = seeds.Where(s => runs[s].Failed).GroupBy(s => runs[s].Outcome).Select(g => $"{SeedList(g.ToList())} {g.Key}");
            // A collapse with a cause ends the group's seeds: it is the last run.
            string? cause = runs[seeds[^1]] is { FailsEverySeed: true } last ? last.CollapseCause!.TrimEnd('.') : null;
            string why = cause is null ? string.Empty : $", and every other seed would collapse alike: {cause}";
            shortfalls.Add(new SweepShortfall(string.Create(Invariant, $"{group.Key}: {trained} of {grid.Seeds} runs trained ({string.Join(" and ", failed)}{why})"),
                seeds.Any(s => runs[s] is { Outcome: "collapsed", FailsEverySeed: false }), cause is not null));
        }
        return shortfalls;
    }

    /// <summary><c>seed 20</c>, <c>seeds 17–20</c>, <c>seeds 17, 19–20</c>: ascending seeds, runs of consecutive ones as ranges.</summary>
    private static string SeedList(List<int> seeds)
    {
        var parts = new List<string>();
        for (int i = 0; i < seeds.Count;)
        {
            int end = i;
            while (end + 1 < seeds.Count && seeds[end + 1] == seeds[end] + 1)
            {
                end++;
            }
            parts.Add(end == i ? seeds[i].ToString(Invariant) : string.Create(Invariant, $"{seeds[i]}–{seeds[end]}"));
            i = end + 1;
        }
        return (seeds.Count == 1 ? "seed " : "seeds ") + string.Join(", ", parts);
    }

    private static void Table(StringBuilder text, List<string> labels, List<double> sparsities, List<SweepResult> trained, Func<List<SweepResult>, string> cell)
    {
        text.AppendLine("| method | " + string.Join(" | ", sparsities.Select(d => string.Create(Invariant, $"sparsity {(1 - d) * 100:0.#} %"))) + " |");
        text.AppendLine("|---|" + string.Concat(sparsities.Select(_ => "---|")));
        foreach (string label in labels)
        {
            var row = trained.Where(r => r.Cell.Label == label).ToList();
            var cells = sparsities.Select(d =>
            {
                var rows = row.Where(r => Density(r.Cell) == d).ToList();
                return rows.Count == 0 ? "–" : cell(rows);
            });
            text.AppendLine($"| {label} | " + string.Join(" | ", cells) + " |");
        }
    }

    /// <summary>The density a cell trains to: dense is 1.0.</summary>
    private static double Density(SweepCell cell) => cell.Method == SparsityMethodKind.Dense ? 1.0 : cell.FinalDensity;
}
