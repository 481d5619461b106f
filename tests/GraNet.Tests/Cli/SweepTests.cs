using GraNet.Cli;
using GraNet.Cli.Studies;
using GraNet.Sparsity;
using Xunit;

namespace GraNet.Tests.Cli;

public class SweepTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-sweep");

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Grid_gives_initial_densities_only_to_granet_and_lists_dense_once()
    {
        var grid = new SweepGrid([SparsityMethodKind.GraNet, SparsityMethodKind.Gmp, SparsityMethodKind.RigL, SparsityMethodKind.Dense], [0.1, 0.05], [1.0, 0.5], 3, 17);
        Assert.Equal(
            ["granet-d0.1-i1-s17", "granet-d0.1-i0.5-s17", "granet-d0.05-i1-s17", "granet-d0.05-i0.5-s17", "gmp-d0.1-s17", "gmp-d0.05-s17", "rigl-d0.1-s17", "rigl-d0.05-s17", "dense-s17"],
            grid.Groups().Select(c => c.FolderName).ToArray());
    }

    [Fact]
    public void A_density_given_twice_is_one_group()
    {
        // Twice the same cell would be tabulated twice: its runs counted twice in the mean.
        var grid = new SweepGrid([SparsityMethodKind.Static, SparsityMethodKind.Static], [0.1, 0.1, 0.05], [1.0], 1, 17);
        Assert.Equal(["static-d0.1-s17", "static-d0.05-s17"], grid.Groups().Select(c => c.FolderName).ToArray());
    }

    [Fact]
    public void Folder_names_keep_every_digit_of_a_density()
    {
        // With three decimals, 0.0002 was gmp-d0 and shared its folder with 0.0004; the usual densities keep their names.
        var grid = new SweepGrid([SparsityMethodKind.Gmp, SparsityMethodKind.GraNet], [0.0002, 0.0004, 0.05, 0.02, 0.0125], [1.0, 0.5], 1, 17);
        Assert.Equal(
            ["gmp-d0.0002", "gmp-d0.0004", "gmp-d0.05", "gmp-d0.02", "gmp-d0.0125",
             "granet-d0.0002-i1", "granet-d0.0002-i0.5", "granet-d0.0004-i1", "granet-d0.0004-i0.5", "granet-d0.05-i1", "granet-d0.05-i0.5",
             "granet-d0.02-i1", "granet-d0.02-i0.5", "granet-d0.0125-i1", "granet-d0.0125-i0.5"],
            grid.Groups().Select(c => c.Group).ToArray());
        Assert.Equal("granet (d_i=0.5)", new SweepCell(SparsityMethodKind.GraNet, 0.05, 0.5, 17).Label);
        Assert.Equal("0.00001", SweepCell.Format(0.00001)); // not 1E-05
        Assert.Equal("0.1", SweepCell.Format(0.1));
    }

    [Theory]
    [InlineData("--final-densities", "0.1,,0.2", "0.1,0.05")]
    [InlineData("--final-densities", "0.1,0.05,", "0.1,0.05")]
    [InlineData("--init-densities", ",0.5", "1.0,0.5")]
    [InlineData("--methods", "granet,,gmp", "granet,gmp")]
    [InlineData("--methods", "granet, ,gmp", "granet,gmp")]
    public void An_empty_list_entry_is_refused(string option, string value, string example)
    {
        string folder = Path.Combine(root, "empty-entry");
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(["sweep", "--model", "lenet-300-100", "--epochs", "1", "--threads", "1", option, value, "--output", folder], output, error));
        Assert.Equal($"granet: {option} '{value}' has an empty entry; give values separated by single commas, such as {example}.", error.ToString().Trim());
        Assert.Empty(output.ToString());
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_collapsed_seed_is_replaced_by_the_next_one()
    {
        var grid = new SweepGrid([SparsityMethodKind.Dense], [], [], 3, 17);
        var outcomes = new Dictionary<int, RunOutcome> { [17] = new("completed"), [18] = new("collapsed"), [19] = new("completed"), [20] = new("completed") };
        Assert.Equal([17, 18, 19, 20], grid.SeedsFor(s => outcomes.GetValueOrDefault(s)).ToArray());
        Assert.Equal([17, 18, 19], grid.SeedsFor(_ => null).ToArray());
    }

    [Fact]
    public void Replacements_bound_the_seeds_of_a_group_and_a_folder_s_later_seeds_raise_the_bound()
    {
        var failed = new RunOutcome("collapsed");
        var none = new SweepGrid([SparsityMethodKind.Dense], [], [], 2, 17, replacements: 0);
        Assert.Equal([17, 18], none.SeedsFor(_ => failed).ToArray());
        Assert.Equal(18, none.LastSeed);
        var five = new SweepGrid([SparsityMethodKind.Dense, SparsityMethodKind.Static], [0.1], [1.0], 2, 17, replacements: 5);
        Assert.Equal([17, 18, 19, 20, 21, 22, 23], five.SeedsFor(_ => failed).ToArray());
        Assert.Equal([17, 18, 19, 20, 21, 22, 23], five.AllSeeds.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SweepGrid([SparsityMethodKind.Dense], [], [], 2, 17, replacements: -1));

        // The default grid ends at seed 21 (2 + 3 replacements from 17); the static group's folder holds seeds up to 24, and 26 after a gap.
        var grid = new SweepGrid([SparsityMethodKind.Dense, SparsityMethodKind.Static], [0.1], [1.0], 2, 17);
        Assert.Equal(21, grid.LastSeed);
        var present = new HashSet<string> { "static-d0.1-s22", "static-d0.1-s23", "static-d0.1-s24", "static-d0.1-s26", "dense-s17" };
        var reaching = grid.Reaching(cell => present.Contains(cell.FolderName));
        Assert.Equal(6, reaching.Replacements);
        Assert.Equal(24, reaching.LastSeed);
        Assert.Same(grid, grid.Reaching(cell => cell.Seed <= 21));
    }

    [Fact]
    public void A_collapse_that_pruning_caused_ends_the_seeds_of_its_group()
    {
        // Every seed prunes the same layers away: after such a collapse no seed is tried, and a shortfall gives the cause instead of advising another seed.
        var grid = new SweepGrid([SparsityMethodKind.Gmp, SparsityMethodKind.Dense], [0.0002], [1.0], 2, 17);
        const string Cause = "layer fc1.weight has no weight left (53 of 266,200 weights active at density 0.000199), so a plain chain of layers no longer depends on its input; raise --final-density (0.0002 now).";
        var outcomes = new Dictionary<int, RunOutcome> { [17] = new("completed"), [18] = new("collapsed", Cause) };
        Assert.Equal([17, 18], grid.SeedsFor(s => outcomes.GetValueOrDefault(s)).ToArray());
        Assert.Equal([17, 18, 19, 20], grid.SeedsFor(s => s == 17 ? new RunOutcome("completed") : s < 20 ? new RunOutcome("collapsed") : null).ToArray());

        SweepResult[] results =
        [
            Result(SparsityMethodKind.Gmp, 0.0002, 17, 80), Failed(SparsityMethodKind.Gmp, 0.0002, 18, "collapsed") with { CollapseCause = Cause },
            Failed(SparsityMethodKind.Dense, 1, 17, "collapsed"), Failed(SparsityMethodKind.Dense, 1, 18, "collapsed"), Failed(SparsityMethodKind.Dense, 1, 19, "collapsed"),
            Failed(SparsityMethodKind.Dense, 1, 20, "collapsed"), Failed(SparsityMethodKind.Dense, 1, 21, "collapsed"),
        ];
        Assert.Equal(
            [new SweepShortfall($"gmp-d0.0002: 1 of 2 runs trained (seed 18 collapsed, and every other seed would collapse alike: {Cause.TrimEnd('.')})", false, true),
             new SweepShortfall("dense: 0 of 2 runs trained (seeds 17–21 collapsed)", true)],
            SweepTables.Shortfalls(results, grid));
        string markdown = SweepTables.Markdown(results, "t", "./granet sweep", grid.LastSeed).ReplaceLineEndings("\n");
        Assert.Contains("Runs that did not train (replaced by the next seed): dense-s17 (collapsed), dense-s18 (collapsed), dense-s19 (collapsed), dense-s20 (collapsed).\n", markdown, StringComparison.Ordinal);
        Assert.EndsWith($"Runs that collapsed because pruning emptied whole layers, not replaced (every seed would collapse alike): gmp-d0.0002-s18 ({Cause.TrimEnd('.')}).\n", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cell_whose_pruning_empties_a_layer_is_not_retried_with_other_seeds()
    {
        // Seeds 17-20 all collapsed alike, and the sweep advised another --seed or a lower --lr.
        string data = Path.Combine(root, "data-emptied");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
        string folder = Path.Combine(root, "emptied");
        var (code, _, error) = CliHarness.Run(["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "4", "--batch-size", "32",
            "--threads", "1", "--validation", "0", "--methods", "gmp", "--final-densities", "0.0002", "--prune-end-epoch", "2", "--update-interval", "1", "--seeds", "1", "--output", folder]);
        Assert.Equal(ExitCodes.TrainingFailed, code);
        Assert.Equal(["gmp-d0.0002-s17"], Directory.GetDirectories(folder).Select(d => Path.GetFileName(d)!).ToArray());
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "gmp-d0.0002-s17", "summary.json")));
        Assert.Equal("collapsed", summary.RootElement.GetProperty("outcome").GetString());
        string cause = summary.RootElement.GetProperty("collapseCause").GetString()!;
        Assert.StartsWith("layer fc1.weight has no weight left (", cause, StringComparison.Ordinal);
        Assert.EndsWith("; raise --final-density (0.0002 now).", cause, StringComparison.Ordinal);
        Assert.Equal($"granet: gmp-d0.0002: 0 of 1 runs trained (seed 17 collapsed, and every other seed would collapse alike: {cause.TrimEnd('.')}).", error.Trim());
        // It learned in epoch 1 and sat at chance once pruning had emptied the layers; run again, the sweep says so.
        Assert.Equal("fell-back", summary.RootElement.GetProperty("collapseKind").GetString());
        var again = CliHarness.Run(["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "4", "--batch-size", "32",
            "--threads", "1", "--validation", "0", "--methods", "gmp", "--final-densities", "0.0002", "--prune-end-epoch", "2", "--update-interval", "1", "--seeds", "1", "--output", folder]);
        Assert.Contains("== gmp-d0.0002-s17: done (collapsed: fell back to chance, ", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Mean_and_sample_std()
    {
        var (mean, std) = SweepTables.MeanStd([90.0, 91.0, 92.0]);
        Assert.Equal(91.0, mean, 12);
        Assert.Equal(1.0, std, 12);
        Assert.Equal((88.0, 0.0), SweepTables.MeanStd([88.0]));
    }

    private static SweepResult Result(SparsityMethodKind method, double density, int seed, double accuracy, double flops = 1.0) =>
        new(new SweepCell(method, density, method == SparsityMethodKind.Static ? density : 1.0, seed), "completed", accuracy, density, flops, flops, 10);

    [Fact]
    public void The_accuracy_chart_spans_the_sparse_runs_and_draws_dense_as_a_reference_line()
    {
        SweepResult[] results =
        [
            Result(SparsityMethodKind.RigL, 0.05, 17, 84.5), Result(SparsityMethodKind.RigL, 0.02, 17, 83.5),
            Result(SparsityMethodKind.Dense, 1, 17, 86), Result(SparsityMethodKind.Dense, 1, 18, 87), Failed(SparsityMethodKind.Dense, 1, 19, "diverged"),
        ];
        var chart = SweepTables.AccuracyChart(results, "t")!;
        var rigl = Assert.Single(chart.Series);
        Assert.Equal("rigl", rigl.Label);
        Assert.Equal([95.0, 98.0], rigl.X.Select(x => Math.Round(x, 9)).ToArray());
        Assert.Equal([84.5, 83.5], rigl.Y);
        // Sparsity 95 .. 98 %, widened by 10 % of the span of 3 points (0.3) at each end: not 0 .. 100 %, where dense sat alone at 0.
        Assert.Equal(94.7, chart.XRange!.Value.Min, 9);
        Assert.Equal(98.3, chart.XRange!.Value.Max, 9);
        // Dense over the runs that trained (86 and 87: mean 86.5, sample std 0.71), across the chart.
        Assert.Equal([new GraNet.Cli.Output.Charts.Reference("dense: 86.50 ± 0.71 % (2 runs)", 86.5)], chart.References);

        // One sparsity: a point either side of it. Dense alone: a point at sparsity 0, as there is nothing to span.
        var one = SweepTables.AccuracyChart([Result(SparsityMethodKind.RigL, 0.05, 17, 84.5), Result(SparsityMethodKind.Dense, 1, 17, 86)], "t")!;
        Assert.Equal((94.0, 96.0), (Math.Round(one.XRange!.Value.Min, 9), Math.Round(one.XRange!.Value.Max, 9)));
        Assert.Equal("dense: 86.00 %", Assert.Single(one.References).Label);
        var denseOnly = SweepTables.AccuracyChart([Result(SparsityMethodKind.Dense, 1, 17, 86)], "t")!;
        var dense = Assert.Single(denseOnly.Series);
        Assert.Equal(("dense", 0.0, 86.0), (dense.Label, Assert.Single(dense.X), Assert.Single(dense.Y)));
        Assert.Null(denseOnly.XRange);
        Assert.Null(SweepTables.AccuracyChart([Failed(SparsityMethodKind.RigL, 0.05, 17, "collapsed")], "t"));
    }

    [Fact]
    public void The_line_to_reproduce_names_the_cpu_kernels_of_the_runs_or_the_tables_say_they_differ()
    {
        static string Head(string markdown) => string.Join("\n", markdown.ReplaceLineEndings("\n").Split('\n').Skip(4).Take(4));
        SweepResult[] avx2 = [Result(SparsityMethodKind.Dense, 1, 17, 88.5) with { CpuKernels = "avx2" }, Result(SparsityMethodKind.Dense, 1, 18, 89.5) with { CpuKernels = "avx2" }];
        // The command gave no set: the runs' one is added (auto would take another CPU's); one given stays as given.
        Assert.Equal("```bash\n./granet sweep --seeds 2 --cpu-kernels avx2\n```\n", Head(SweepTables.Markdown(avx2, "t", "./granet sweep --seeds 2", lastSeed: 22)));
        Assert.Equal("```bash\n./granet sweep --cpu-kernels avx2 --seeds 2\n```\n", Head(SweepTables.Markdown(avx2, "t", "./granet sweep --cpu-kernels avx2 --seeds 2", lastSeed: 22)));
        // Runs from before the setting name none: the line stays as it was.
        SweepResult[] old = [Result(SparsityMethodKind.Dense, 1, 17, 88.5)];
        Assert.Equal("```bash\n./granet sweep\n```\n", Head(SweepTables.Markdown(old, "t", "./granet sweep", lastSeed: 22)));
        // A sweep continued on another CPU: no set is added, and the tables say which runs used which.
        SweepResult[] mixed = [.. avx2, Result(SparsityMethodKind.Dense, 1, 19, 89.0) with { CpuKernels = "avx512" }];
        string markdown = SweepTables.Markdown(mixed, "t", "./granet sweep", lastSeed: 22).ReplaceLineEndings("\n");
        Assert.Equal("```bash\n./granet sweep\n```\n", Head(markdown));
        Assert.Contains("\nThe runs used different CPU kernels: avx2 (2 runs), avx512 (1 run). A run repeats only with its own set (`--cpu-kernels`; each run's config.json has it).\n", markdown, StringComparison.Ordinal);
        Assert.EndsWith(",avx512", SweepTables.Csv(mixed).TrimEnd(), StringComparison.Ordinal);
        Assert.StartsWith("method,initDensity,finalDensity,seed,outcome,testAccuracy,measuredDensity,trainingFlopsRelative,inferenceFlopsRelative,wallSeconds,collapseKind,cpuKernels\n", SweepTables.Csv(mixed), StringComparison.Ordinal);
    }

    [Fact]
    public void The_tables_record_the_data_the_runs_had_or_name_the_runs_of_each_when_they_differ()
    {
        string a = new('a', 64), b = new('b', 64), c = new('c', 64);
        SweepResult[] same = [Result(SparsityMethodKind.Dense, 1, 17, 88.5) with { Images = (a, b) }, Result(SparsityMethodKind.Dense, 1, 18, 89.5) with { Images = (a, b) },
            Result(SparsityMethodKind.Dense, 1, 19, 89.0)]; // written before the digests existed: not counted either way
        string markdown = SweepTables.Markdown(same, "t", "./granet sweep", lastSeed: 22).ReplaceLineEndings("\n");
        Assert.Contains($"\nData (SHA-256 of the images and labels as read; summary.json's `trainingImagesSha256`, `testImagesSha256`): training `{a}`, test `{b}`. 1 run does not record its data (written before digests, or resumed from such a checkpoint), so for it it is unknown.\n", markdown, StringComparison.Ordinal);
        Assert.Contains($"test `{b}`.\n", SweepTables.Markdown(same[..2], "t", "./granet sweep", lastSeed: 22).ReplaceLineEndings("\n"), StringComparison.Ordinal);
        // A diverged run (no numbers, no digests in its summary) is not a run of unknown data.
        SweepResult diverged = Failed(SparsityMethodKind.Dense, 1, 21, "diverged");
        Assert.Contains($"test `{b}`.\n", SweepTables.Markdown([.. same[..2], diverged], "t", "./granet sweep", lastSeed: 22).ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("different images", markdown, StringComparison.Ordinal);

        SweepResult[] mixed = [.. same, Result(SparsityMethodKind.Dense, 1, 20, 70.0) with { Images = (c, b) }];
        markdown = SweepTables.Markdown(mixed, "t", "./granet sweep", lastSeed: 22).ReplaceLineEndings("\n");
        Assert.Contains($"\nThe runs were trained or tested on different images (summary.json's `trainingImagesSha256`, `testImagesSha256`), so their numbers do not compare: training `aaaaaaaaaaaa…`, test `bbbbbbbbbbbb…`: {same[0].Cell.FolderName}, {same[1].Cell.FolderName}; training `cccccccccccc…`, test `bbbbbbbbbbbb…`: {mixed[3].Cell.FolderName}.\n", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("\nData (", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("\nData (", SweepTables.Markdown([same[2]], "t", "./granet sweep", lastSeed: 22), StringComparison.Ordinal);
    }

    [Fact]
    public void A_sweep_continued_on_other_images_is_refused_before_a_cell_trains()
    {
        string data = Directory.CreateDirectory(Path.Combine(root, "data-a")).FullName;
        TestFiles.WriteTinyMnist(data);
        string redrawn = Directory.CreateDirectory(Path.Combine(root, "data-b")).FullName;
        TestFiles.WriteTinyMnist(redrawn, seed: 2);
        string folder = Path.Combine(root, "continued");
        string[] Args(string dataDir, string seeds) => ["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", dataDir, "--epochs", "1", "--batch-size", "32", "--lr", "0.05",
            "--threads", "1", "--methods", "dense", "--seeds", seeds, "--output", folder];
        var error = new StringWriter();
        Assert.True(Runner.Run(Args(data, "1"), new StringWriter(), error) == 0, error.ToString());
        var output = new StringWriter();
        error = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(Args(redrawn, "2"), output, error));
        Assert.Equal($"granet: {redrawn} holds other images (or labels) than the finished cells of the sweep in {folder} used (dense-s17, by the SHA-256 digests in its summary.json): give --data-dir the folder they were trained with, or another --output for a sweep on this data.", error.ToString().Trim());
        Assert.False(Directory.Exists(Path.Combine(folder, "dense-s18")));
        Assert.True(Runner.Run(Args(data, "2"), new StringWriter(), new StringWriter()) == 0);
        Assert.True(File.Exists(Path.Combine(folder, "dense-s18", "summary.json")));
    }

    [Fact]
    public void A_finished_sweep_run_again_checks_a_data_dir_it_names_and_tables_of_part_of_the_grid_say_which_runs_are_missing()
    {
        string data = Directory.CreateDirectory(Path.Combine(root, "data-own")).FullName;
        TestFiles.WriteTinyMnist(data);
        string folder = Path.Combine(root, "finished");
        string[] Args(string dataDir, string seeds, params string[] more) => ["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", dataDir, "--epochs", "1",
            "--batch-size", "32", "--lr", "0.05", "--threads", "1", "--methods", "dense", "--seeds", seeds, "--output", folder, .. more];
        var error = new StringWriter();
        Assert.True(Runner.Run(Args(data, "1"), new StringWriter(), error) == 0, error.ToString());
        string record = File.ReadAllText(Path.Combine(folder, SweepRecord.FileName));
        string tables = File.ReadAllText(Path.Combine(folder, "results.md"));
        Assert.DoesNotContain("Incomplete", tables, StringComparison.Ordinal);

        // No cell is left to train, but the command names a folder: it is checked as a run would check it, and nothing
        // (sweep.json, results.md) takes up the refused command.
        string missing = Path.Combine(root, "nowhere");
        error = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(Args(missing, "1"), new StringWriter(), error));
        Assert.StartsWith($"granet: --data-dir {missing} does not exist; give the folder that holds", error.ToString().Trim(), StringComparison.Ordinal);
        string redrawn = Directory.CreateDirectory(Path.Combine(root, "data-other")).FullName;
        TestFiles.WriteTinyMnist(redrawn, seed: 2);
        error = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(Args(redrawn, "1"), new StringWriter(), error));
        Assert.StartsWith($"granet: {redrawn} holds other images (or labels) than the finished cells", error.ToString().Trim(), StringComparison.Ordinal);
        Assert.Equal(record, File.ReadAllText(Path.Combine(folder, SweepRecord.FileName)));
        Assert.Equal(tables, File.ReadAllText(Path.Combine(folder, "results.md")));

        // Tabulated for a grid of two seeds, of which one has run: the tables say which run is missing.
        var output = new StringWriter();
        Assert.Equal(0, Runner.Run(Args(data, "2", "--report-only"), output, new StringWriter()));
        Assert.Contains("== dense-s18: not run (--report-only)", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("**Incomplete:** 1 of the 2 runs of this grid have not finished (dense-s18); the tables below leave them out.", File.ReadAllText(Path.Combine(folder, "results.md")), StringComparison.Ordinal);
        // The run of the grid's own data again: nothing left to train, the tables of the grid of one seed are whole.
        Assert.Equal(0, Runner.Run(Args(data, "1"), new StringWriter(), new StringWriter()));
        Assert.DoesNotContain("Incomplete", File.ReadAllText(Path.Combine(folder, "results.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Runs_resumed_with_other_threads_or_kernels_are_named_with_the_epoch_from_which_the_line_does_not_repeat_them()
    {
        SweepResult[] runs =
        [
            Result(SparsityMethodKind.Dense, 1, 17, 88.5) with { SettingsChangedAtEpochs = [] },
            Result(SparsityMethodKind.Dense, 1, 18, 89.5) with { SettingsChangedAtEpochs = [6] },
            Result(SparsityMethodKind.Dense, 1, 19, 89.0) with { SettingsChangedAtEpochs = [3, 9] },
            Result(SparsityMethodKind.Dense, 1, 20, 89.0), // written before the field existed
        ];
        string markdown = SweepTables.Markdown(runs, "t", "./granet sweep", lastSeed: 22).ReplaceLineEndings("\n");
        Assert.Contains("\nResumed with other threads or CPU kernels than they started with (summary.json's `settingsChangedAtEpochs`): dense-s18 (from epoch 6), dense-s19 (from epoch 3, 9). The command above repeats such a run only up to that epoch.\n", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("Resumed with other", SweepTables.Markdown(runs[..1], "t", "./granet sweep", lastSeed: 22), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cell_summary_of_another_method_or_with_impossible_numbers_is_refused_not_tabulated()
    {
        var cell = new SweepCell(SparsityMethodKind.Set, 0.1, 1, 17);
        string folder = Directory.CreateDirectory(Path.Combine(root, "read-cells", cell.FolderName)).FullName;
        string path = Path.Combine(folder, "summary.json");
        string Summary(string method, string accuracy, string density) =>
            $$"""{ "outcome": "completed", "method": "{{method}}", "testAccuracy": {{accuracy}}, "finalDensity": {{density}}, "trainingFlopsRelative": 0.2, "inferenceFlopsRelative": 0.1, "wallSeconds": 3 }""";
        File.WriteAllText(path, Summary("set", "88.5", "0.1"));
        Assert.Equal(88.5, SweepCommand.Read(Path.Combine(root, "read-cells"), cell)!.TestAccuracy);
        string fix = $"; 'granet train --resume {folder}' writes it again from the cell's last checkpoint (or delete that folder to train the cell again).";
        foreach (var (text, wrong) in new[]
        {
            (Summary("rigl", "88.5", "0.1"), "it is of method rigl, the cell's is set"),
            (Summary("set", "-5", "0.1"), "testAccuracy -5 is not in [0, 100]"),
            (Summary("set", "88.5", "1.5"), "finalDensity 1.5 is not in [0, 1]"),
            // An outcome no run records would count as neither trained nor failed.
            (Summary("set", "88.5", "0.1").Replace("\"completed\"", "\"finished\"", StringComparison.Ordinal), "outcome finished is none of completed, collapsed, diverged"),
        })
        {
            File.WriteAllText(path, text);
            Assert.Equal($"{path}: not this cell's summary ({wrong}){fix}", Assert.Throws<InvalidDataException>(() => SweepCommand.Read(Path.Combine(root, "read-cells"), cell)).Message);
        }
    }

    [Fact]
    public void Dense_alone_has_its_numbers_in_the_column_of_sparsity_0()
    {
        // The columns came from the sparse cells only: dense alone gave "| method |  |" with no numbers.
        string markdown = SweepTables.Markdown([Result(SparsityMethodKind.Dense, 1, 17, 88.5), Result(SparsityMethodKind.Dense, 1, 18, 89.5)], "t", "./granet sweep", lastSeed: 22);
        Assert.Equal("""
            # t

            Reproduce with:

            ```bash
            ./granet sweep
            ```

            ## Test accuracy (%), mean ± std over the runs that trained (n)

            | method | sparsity 0 % |
            |---|---|
            | dense | 89.00 ± 0.71 (2) |

            ## Training FLOPs / inference FLOPs, relative to dense

            | method | sparsity 0 % |
            |---|---|
            | dense | 1.000 / 1.000 |

            ## Final density reached

            | method | sparsity 0 % |
            |---|---|
            | dense | 1.0000 |

            """.ReplaceLineEndings("\n"), markdown.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Dense_has_its_own_column_beside_the_sparse_cells()
    {
        string markdown = SweepTables.Markdown(
            [Result(SparsityMethodKind.Static, 0.3, 17, 85.25, 0.3), Result(SparsityMethodKind.Static, 0.1, 17, 84.0, 0.1), Result(SparsityMethodKind.Dense, 1, 17, 88.5)], "t", "./granet sweep", lastSeed: 20);
        Assert.Equal("""
            # t

            Reproduce with:

            ```bash
            ./granet sweep
            ```

            ## Test accuracy (%), mean ± std over the runs that trained (n)

            | method | sparsity 0 % | sparsity 70 % | sparsity 90 % |
            |---|---|---|---|
            | static | – | 85.25 (1) | 84.00 (1) |
            | dense | 88.50 (1) | – | – |

            ## Training FLOPs / inference FLOPs, relative to dense

            | method | sparsity 0 % | sparsity 70 % | sparsity 90 % |
            |---|---|---|---|
            | static | – | 0.300 / 0.300 | 0.100 / 0.100 |
            | dense | 1.000 / 1.000 | – | – |

            ## Final density reached

            | method | sparsity 0 % | sparsity 70 % | sparsity 90 % |
            |---|---|---|---|
            | static | – | 0.3000 | 0.1000 |
            | dense | 1.0000 | – | – |

            """.ReplaceLineEndings("\n"), markdown.ReplaceLineEndings("\n"));
    }

    private static SweepResult Failed(SparsityMethodKind method, double density, int seed, string outcome) =>
        new(new SweepCell(method, density, density, seed), outcome, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    [Fact]
    public void Collapsed_runs_are_listed_with_the_failure_their_summary_names()
    {
        // RigL at 95 % as on P1: three kinds of collapse, one run written before summaries named the kind, and a divergence.
        var grid = new SweepGrid([SparsityMethodKind.RigL], [0.05], [1.0], 1, 17, replacements: 4);
        SweepResult[] results =
        [
            Failed(SparsityMethodKind.RigL, 0.05, 17, "collapsed") with { CollapseKind = "blew-up", TestAccuracy = 10 },
            Failed(SparsityMethodKind.RigL, 0.05, 18, "collapsed") with { CollapseKind = "fell-back" },
            Failed(SparsityMethodKind.RigL, 0.05, 19, "collapsed") with { CollapseKind = "learned-nothing" },
            Failed(SparsityMethodKind.RigL, 0.05, 20, "collapsed"),
            Failed(SparsityMethodKind.RigL, 0.05, 21, "diverged"),
        ];
        string markdown = SweepTables.Markdown(results, "t", "./granet sweep", grid.LastSeed, grid.Replacements).ReplaceLineEndings("\n");
        Assert.Contains("Runs that did not train (replaced by the next seed): rigl-d0.05-s17 (collapsed: weights blew up), rigl-d0.05-s18 (collapsed: fell back to chance), "
            + "rigl-d0.05-s19 (collapsed: learned nothing), rigl-d0.05-s20 (collapsed).\n", markdown, StringComparison.Ordinal);
        Assert.Contains("with no seed left to replace them (4 replacements at most per cell): rigl-d0.05-s21 (diverged).", markdown, StringComparison.Ordinal);
        // The CSV's column after wallSeconds holds the kind as summary.json writes it (empty where there is none).
        var rows = SweepTables.Csv(results).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",wallSeconds,collapseKind,cpuKernels", rows[0], StringComparison.Ordinal);
        Assert.Equal(["blew-up", "fell-back", "learned-nothing", "", ""], rows.Skip(1).Select(r => r.Split(',')[^2]).ToArray());
    }

    [Fact]
    public void Runs_at_the_last_seed_are_listed_as_not_replaced_and_their_cells_as_short()
    {
        // --seeds 1 from 17: seeds 18-20 replace, nothing replaces 20. static ran out of seeds; set still has a seed to run.
        var grid = new SweepGrid([SparsityMethodKind.Static, SparsityMethodKind.Set, SparsityMethodKind.Dense], [0.1], [1.0], 1, 17);
        Assert.Equal(20, grid.LastSeed);
        SweepResult[] results =
        [
            Failed(SparsityMethodKind.Static, 0.1, 17, "collapsed"), Failed(SparsityMethodKind.Static, 0.1, 18, "diverged"), Failed(SparsityMethodKind.Static, 0.1, 19, "collapsed"),
            Failed(SparsityMethodKind.Static, 0.1, 20, "collapsed"),
            Failed(SparsityMethodKind.Set, 0.1, 17, "diverged"),
            Failed(SparsityMethodKind.Dense, 1, 17, "diverged"), Failed(SparsityMethodKind.Dense, 1, 18, "diverged"), Failed(SparsityMethodKind.Dense, 1, 19, "diverged"),
            Failed(SparsityMethodKind.Dense, 1, 20, "diverged"),
        ];
        Assert.Equal(
            [new SweepShortfall("static-d0.1: 0 of 1 runs trained (seeds 17, 19–20 collapsed and seed 18 diverged)", true), new SweepShortfall("dense: 0 of 1 runs trained (seeds 17–20 diverged)", false)],
            SweepTables.Shortfalls(results, grid));
        string markdown = SweepTables.Markdown(results, "t", "./granet sweep", grid.LastSeed).ReplaceLineEndings("\n");
        Assert.Contains("""
            | method | sparsity 0 % | sparsity 90 % |
            |---|---|---|
            | static | – | – |
            | set | – | – |
            | dense | – | – |

            Runs that did not train (replaced by the next seed): static-d0.1-s17 (collapsed), static-d0.1-s18 (diverged), static-d0.1-s19 (collapsed), set-d0.1-s17 (diverged), dense-s17 (diverged), dense-s18 (diverged), dense-s19 (diverged).
            Runs that did not train, with no seed left to replace them (3 replacements at most per cell): static-d0.1-s20 (collapsed), dense-s20 (diverged).

            """.ReplaceLineEndings("\n"), markdown, StringComparison.Ordinal);
        Assert.EndsWith("dense-s20 (diverged).\n", markdown, StringComparison.Ordinal);

        // With a run that trained among them, or a seed still to run, a cell is not short.
        Assert.Empty(SweepTables.Shortfalls([Failed(SparsityMethodKind.Dense, 1, 17, "diverged"), Result(SparsityMethodKind.Dense, 1, 18, 88)], grid));
        Assert.Empty(SweepTables.Shortfalls([Failed(SparsityMethodKind.Dense, 1, 17, "diverged"), Failed(SparsityMethodKind.Dense, 1, 18, "diverged")], grid));
    }

    [Fact]
    public void A_cell_with_a_damaged_checkpoint_is_told_to_be_deleted_and_the_sweep_run_again()
    {
        // A cell cannot be given another --output, the fix that 'granet train' names.
        string data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        TestFiles.WriteTinyMnist(data, train: 100);
        string folder = Path.Combine(root, "sweep");
        string[] args = ["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32",
            "--threads", "1", "--methods", "dense", "--seeds", "1", "--output", folder];
        var error = new StringWriter();
        Assert.True(Runner.Run(args, new StringWriter(), error) == 0, error.ToString());
        string cell = Path.Combine(folder, "dense-s17");
        File.Delete(Path.Combine(cell, "summary.json")); // as if stopped before it finished
        TestFiles.CutShort(Path.Combine(cell, "last.ckpt"));
        var refused = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(args, new StringWriter(), refused));
        Assert.EndsWith($"the run cannot continue from it: restore the file, or delete {cell} and run the same command again to train it from the start.", refused.ToString().Trim(), StringComparison.Ordinal);
        Directory.Delete(cell, recursive: true);
        Assert.Equal(0, Runner.Run(args, new StringWriter(), new StringWriter()));
        Assert.True(File.Exists(Path.Combine(cell, "summary.json")));
    }

    [Fact]
    public void Sweep_runs_the_grid_writes_the_tables_and_a_png_and_skips_finished_cells()
    {
        string data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
        string folder = Path.Combine(root, "sweep");
        string[] args = ["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "2", "--batch-size", "32", "--lr", "0.05",
            "--threads", "1", "--methods", "static,dense", "--final-densities", "0.3", "--seeds", "2", "--output", folder];
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.True(Runner.Run(args, output, error) == 0, error.ToString());

        string[] csv = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        Assert.Equal(5, csv.Length); // header + static 17, 18 + dense 17, 18
        Assert.StartsWith("static,0.3,0.3,17,completed,", csv[1], StringComparison.Ordinal);
        string markdown = File.ReadAllText(Path.Combine(folder, "results.md"));
        Assert.Contains("| method | sparsity 0 % | sparsity 70 % |", markdown, StringComparison.Ordinal);
        Assert.Matches(@"\| static \| – \| \d+\.\d\d ± \d+\.\d\d \(2\) \|", markdown);
        Assert.Matches(@"\| dense \| \d+\.\d\d ± \d+\.\d\d \(2\) \| – \|", markdown);
        Assert.Contains("./granet sweep --model lenet-300-100", markdown, StringComparison.Ordinal);
        // The line to reproduce names the CPU kernels the cells ran with (the command gave none: auto resolved here).
        Assert.Contains($"--output {folder} --cpu-kernels {GraNet.EnumNames.Of(GraNet.Runtime.TorchRuntime.Kernels!.Value)}\n```", markdown.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        // The data, as every cell's summary.json records it (all four read the same files).
        var (train, test) = GraNet.Data.DatasetLoader.Load(GraNet.Data.DatasetCatalog.Get("fashion-mnist"), data);
        Assert.Contains($"training `{train.Digest}`, test `{test.Digest}`.", markdown, StringComparison.Ordinal);
        PngAssert.Valid(Path.Combine(folder, "accuracy.png"), 800, 500);

        // What a sweep killed while writing its tables leaves behind goes when it is run again.
        string stale = Path.Combine(folder, "results.csv.11745.tmp");
        File.WriteAllText(stale, "static,0.3");
        var again = new StringWriter();
        Assert.Equal(0, Runner.Run(args, again, error));
        Assert.False(File.Exists(stale));
        Assert.Equal(4, again.ToString().Split('\n').Count(l => l.Contains(": done (", StringComparison.Ordinal)));
        Assert.Equal(csv, File.ReadAllLines(Path.Combine(folder, "results.csv")));

        // The up-front check of what a cell would be refused looks at groups with a cell left to train only: with 30 training
        // images (fewer than --batch-size 32) a new cell would be refused, but a finished sweep still rebuilds its tables
        // (given no --data-dir: one that names other images than the cells used is refused, cell or no cell).
        TestFiles.WriteTinyMnist(data, train: 30);
        var finished = new StringWriter();
        var otherImages = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(args, finished, otherImages));
        Assert.StartsWith($"granet: {data} holds other images (or labels) than the finished cells of the sweep in {folder} used", otherImages.ToString(), StringComparison.Ordinal);
        string[] withoutData = [.. args.Where((a, i) => a != "--data-dir" && (i == 0 || args[i - 1] != "--data-dir"))];
        Assert.True(Runner.Run(withoutData, finished, error) == 0, error.ToString());
        Assert.Equal(csv, File.ReadAllLines(Path.Combine(folder, "results.csv")));
        var more = new StringWriter();
        var refused = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run([.. args.Select((a, i) => i > 0 && args[i - 1] == "--seeds" ? "3" : a)], more, refused));
        // A third seed is a cell left to train in both groups; the first group is named.
        Assert.Equal("granet: sweep cell static-d0.3-s17: --batch-size 32 must not exceed the 27 training images.", refused.ToString().Trim());
        TestFiles.WriteTinyMnist(data);

        Directory.Delete(Path.Combine(folder, "static-d0.3-s18"), recursive: true);
        var reportOnly = new StringWriter();
        Assert.Equal(0, Runner.Run([.. args, "--report-only"], reportOnly, error));
        Assert.Contains("static-d0.3-s18: not run (--report-only)", reportOnly.ToString(), StringComparison.Ordinal);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(folder, "results.csv")).Length);
        Assert.False(Directory.Exists(Path.Combine(folder, "static-d0.3-s18")));
    }

    [Theory]
    // rigl, the second method, has no update step in the 9 steps of the run (270 training images after the hold-out, 32 a batch).
    [InlineData("dense,rigl", "--update-interval", "100", "rigl-d0.3-s17: --update-interval 100 leaves no regeneration step in steps 1..6 of this run (9 per epoch), so rigl would not regenerate at all; use a shorter interval.")]
    // Layer-wise pruning to 0.0002 cannot keep the classifier rule's last layer; dense first trained.
    [InlineData("dense,gmp-uniform", "--final-densities", "0.0002", "gmp-uniform-d0.0002-s17: --classifier-rule keeps the last layer (fc3.weight, 1000 weights) at density 0.2, more than final density 0.0002 allows the whole model (53 of 266200 weights), so the other layers would be emptied; set --classifier-rule to false or raise --final-density.")]
    // More than the training images the hold-out leaves: every cell would be refused.
    [InlineData("dense,static", "--batch-size", "280", "dense-s17: --batch-size 280 must not exceed the 270 training images (--validation 0.1 holds out 30 of 300).")]
    public void What_a_cell_would_be_refused_when_it_starts_is_refused_before_any_cell_trains(string methods, string option, string value, string message)
    {
        // Validate() alone let the first method's cells train; the sweep then stopped with exit 2 at the first cell the controller refused.
        string data = Path.Combine(root, "data-refused");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
        string folder = Path.Combine(root, "refused");
        string[] args = ["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--threads", "1", "--methods", methods, "--seeds", "1", "--output", folder];
        string[] defaults = ["--batch-size", "32", "--final-densities", "0.3"];
        var (code, output, error) = CliHarness.Run([.. args, .. defaults.Chunk(2).Where(pair => pair[0] != option).SelectMany(pair => pair), option, value]);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal($"granet: sweep cell {message}", error.Trim());
        Assert.Empty(output);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_cell_refused_for_a_value_of_the_config_file_names_its_key()
    {
        string data = Directory.CreateDirectory(Path.Combine(root, "data-config")).FullName;
        TestFiles.WriteTinyMnist(data);
        string config = Path.Combine(root, "interval.json");
        File.WriteAllText(config, "{ \"sparsity\": { \"updateInterval\": 100 } }");
        string folder = Path.Combine(root, "refused-config");
        var (code, _, error) = CliHarness.Run(["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--threads", "1",
            "--batch-size", "32", "--methods", "rigl", "--final-densities", "0.3", "--seeds", "1", "--config", config, "--output", folder]);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("granet: sweep cell rigl-d0.3-s17: --config key sparsity.updateInterval 100 leaves no regeneration step in steps 1..6 of this run (9 per epoch), so rigl would not regenerate at all; use a shorter interval.", error.Trim());
        Assert.False(Directory.Exists(folder));
    }

    [MultiCoreFact]
    public void Jobs_train_cells_in_child_processes_with_the_same_numbers_as_one_after_another()
    {
        string data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
        string[] Args(string folder, params string[] more) => ["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "2", "--batch-size", "32", "--lr", "0.05",
            "--threads", "1", "--methods", "static,dense", "--final-densities", "0.3", "--seeds", "2", "--output", folder, .. more];
        var error = new StringWriter();
        string one = Path.Combine(root, "one");
        string two = Path.Combine(root, "two");
        Assert.True(Runner.Run(Args(one), new StringWriter(), error) == 0, error.ToString());
        var output = new StringWriter();
        Assert.True(Runner.Run(Args(two, "--jobs", "2"), output, error) == 0, error.ToString());

        // Same rows in the same (grid) order; only the wall time (the wallSeconds column) may differ.
        static string[] Numbers(string folder)
        {
            var lines = File.ReadAllLines(Path.Combine(folder, "results.csv"));
            int wall = Array.IndexOf(lines[0].Split(','), "wallSeconds");
            return lines.Select(l => string.Join(',', l.Split(',').Where((_, i) => i != wall))).ToArray();
        }
        Assert.Equal(5, Numbers(two).Length);
        Assert.Equal(Numbers(one), Numbers(two));
        Assert.Equal(4, output.ToString().Split('\n').Count(l => l.Contains(": started, log ", StringComparison.Ordinal)));
        Assert.Contains("== static-d0.3-s18: completed, ", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("run folder:", File.ReadAllText(Path.Combine(two, "logs", "dense-s17.log")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(two, "static-d0.3-s17", "summary.json")));

        // Finished cells are not started again.
        var again = new StringWriter();
        Assert.Equal(0, Runner.Run(Args(two, "--jobs", "2"), again, error));
        Assert.Equal(4, again.ToString().Split('\n').Count(l => l.Contains(": done (", StringComparison.Ordinal)));
        Assert.DoesNotContain("started", again.ToString(), StringComparison.Ordinal);
    }

    [MultiCoreFact]
    public void Jobs_rewrite_the_result_files_for_the_grid_given_even_with_no_cell_left_to_train()
    {
        // One job at a time writes the tables of the grid it was given while it walks the finished cells; --jobs did
        // not write them at all when nothing was left to train, so results.md kept another grid's rows.
        string data = Path.Combine(root, "data-rewrite");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
        string folder = Path.Combine(root, "rewrite");
        string[] Args(string methods, params string[] more) => ["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32",
            "--threads", "1", "--methods", methods, "--seeds", "1", "--output", folder, .. more];
        var error = new StringWriter();
        Assert.True(Runner.Run(Args("static,dense", "--final-densities", "0.3"), new StringWriter(), error) == 0, error.ToString());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(folder, "results.csv")).Length);

        var output = new StringWriter();
        Assert.True(Runner.Run(Args("dense", "--jobs", "2"), output, error) == 0, error.ToString());
        Assert.DoesNotContain("started", output.ToString(), StringComparison.Ordinal);
        string[] rows = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        Assert.Equal(2, rows.Length);
        Assert.StartsWith("dense,", rows[1], StringComparison.Ordinal);
        Assert.Contains("--methods dense --seeds 1", File.ReadAllText(Path.Combine(folder, "results.md")), StringComparison.Ordinal);
    }

    [MultiCoreTheory]
    [InlineData("-TERM")] // the sweep stops its children
    [InlineData("-KILL")] // the children notice that the sweep is gone
    public void Ending_the_sweep_process_ends_its_cell_processes(string signal)
    {
        // An orphaned cell would go on writing its folder while the next run of the sweep resumes it.
        string data = Path.Combine(root, "data-term");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
        string folder = Path.Combine(root, "term");
        using var sweep = CliHarness.Start(["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "500", "--batch-size", "32",
            "--threads", "1", "--methods", "static,dense", "--final-densities", "0.3", "--seeds", "1", "--jobs", "2", "--output", folder]);
        int[] Children() => Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : -1).Where(pid => pid > 0)
            .Where(pid => { try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains($"sweep-cell\0{Path.Combine(folder, "logs")}", StringComparison.Ordinal); } catch (IOException) { return false; } })
            .ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int[] children = [];
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && (children = Children()).Length < 2)
        {
            Thread.Sleep(100);
        }
        Assert.Equal(2, children.Length);
        using (var kill = System.Diagnostics.Process.Start("kill", [signal, sweep.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        Assert.True(sweep.WaitForExit(30_000));
        clock.Restart();
        while (clock.Elapsed < TimeSpan.FromSeconds(10) && Children().Length > 0)
        {
            Thread.Sleep(100);
        }
        Assert.Empty(Children());
    }

    [MultiCoreFact]
    public void Jobs_keep_a_thread_count_from_a_config_file()
    {
        // --jobs divides the cores only when nothing chose a thread count: a --config file's "threads" stands (within
        // cores / jobs: more is refused, as with --threads).
        string data = Path.Combine(root, "data-cfg");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
        string file = Path.Combine(root, "threads.json");
        // 1 thread with --jobs 2: within the cores; on a machine of 4 cores or more, not the cores / 2 that --jobs 2 would give each cell.
        File.WriteAllText(file, "{ \"threads\": 1 }");
        string folder = Path.Combine(root, "cfg-jobs");
        var error = new StringWriter();
        Assert.True(Runner.Run(["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32",
            "--config", file, "--methods", "dense", "--seeds", "1", "--jobs", "2", "--output", folder], new StringWriter(), error) == 0, error.ToString());
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "dense-s17", "config.json")));
        Assert.Equal(1, config.RootElement.GetProperty("threads").GetInt32());
    }

    [MultiCoreFact]
    public void A_failing_child_ends_the_sweep_with_its_exit_code_and_error()
    {
        // The data files are damaged: every child fails as 'granet train' would (exit 3), and the sweep says which cell and where its log is.
        string empty = Directory.CreateDirectory(Path.Combine(root, "damaged")).FullName;
        foreach (string name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
        {
            File.WriteAllText(Path.Combine(empty, name), "not an idx file");
        }
        string folder = Path.Combine(root, "failing");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Runner.Run(["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", empty, "--epochs", "1", "--threads", "1",
            "--methods", "dense", "--seeds", "1", "--jobs", "2", "--output", folder], output, error);
        Assert.Equal(ExitCodes.BadInput, code);
        string line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("granet: sweep cell dense-s17 failed (exit 3): ", line, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(folder, "logs", "dense-s17.log"), line, StringComparison.Ordinal);
        Assert.DoesNotContain(". (log", line, StringComparison.Ordinal); // the cell's own sentence loses its full stop
    }

    [Fact]
    public void A_sweep_records_its_command_from_the_start_and_report_only_with_the_folder_alone_uses_it()
    {
        string data = Path.Combine(root, "data-record");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
        string folder = Path.Combine(root, "recorded");
        string[] grid = ["--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32", "--lr", "0.05",
            "--threads", "1", "--methods", "static,dense", "--final-densities", "0.3", "--seeds", "1"];
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.True(Runner.Run(["sweep", .. grid, "--output", folder], output, error) == 0, error.ToString());
        Assert.Equal(grid, SweepRecord.Read(folder)!.Arguments);
        string[] csv = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        string markdown = File.ReadAllText(Path.Combine(folder, "results.md"));

        // The folder alone: the recorded command's grid and settings (the defaults would name another grid and model settings).
        var tabulated = new StringWriter();
        Assert.True(Runner.Run(["sweep", "--report-only", "--output", folder], tabulated, error) == 0, error.ToString());
        Assert.Contains("== static-d0.3-s17: done (completed, ", tabulated.ToString(), StringComparison.Ordinal);
        Assert.Equal(csv, File.ReadAllLines(Path.Combine(folder, "results.csv")));
        Assert.Equal(markdown, File.ReadAllText(Path.Combine(folder, "results.md")));

        // "--report-only true" is the same request.
        Assert.True(Runner.Run(["sweep", "--report-only", "true", "-o", folder], new StringWriter(), error) == 0, error.ToString());
        Assert.Equal(csv, File.ReadAllLines(Path.Combine(folder, "results.csv")));

        // A grid that leaves finished cells out would drop their rows from the tables: refused, nothing rewritten; also
        // when it leaves out every one (it is not that nothing has finished).
        string[] Grid(string option, string value, string? option2 = null, string? value2 = null) =>
            [.. grid.Select((a, i) => i > 0 && grid[i - 1] == option ? value : i > 0 && grid[i - 1] == option2 ? value2! : a)];
        var refused = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(["sweep", .. Grid("--methods", "static"), "--output", folder, "--report-only"], new StringWriter(), refused));
        Assert.Equal($"granet: {folder} holds finished cells that this grid leaves out (dense-s17), whose rows the tables would lose; give --methods, --final-densities, --init-densities and --seeds that include them.", refused.ToString().Trim());
        var none = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(["sweep", .. Grid("--methods", "static", "--final-densities", "0.5"), "--output", folder, "--report-only"], new StringWriter(), none));
        Assert.StartsWith($"granet: {folder} holds finished cells that this grid leaves out (dense-s17, static-d0.3-s17), ", none.ToString().Trim(), StringComparison.Ordinal);
        Assert.Equal(csv, File.ReadAllLines(Path.Combine(folder, "results.csv")));
        // Training another grid there is how a sweep grows: it says that its tables show its own cells only.
        var grown = new StringWriter();
        Assert.True(Runner.Run(["sweep", .. Grid("--methods", "static"), "--output", folder], grown, error) == 0, error.ToString());
        Assert.Contains($"note: {folder} holds finished cells that this grid leaves out (dense-s17); the tables will show this grid's cells only.", grown.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(folder, "results.csv")).Length);
        Assert.True(Runner.Run(["sweep", .. grid, "--output", folder], new StringWriter(), error) == 0, error.ToString());
        Assert.Equal(csv, File.ReadAllLines(Path.Combine(folder, "results.csv")));

        // Before its first cell finished (no results.csv yet) the folder is a sweep's all the same: a run or a study is refused
        // there, report and --resume say what it is and how to continue it.
        File.Delete(Path.Combine(folder, "results.csv"));
        var train = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(["train", "--model", "lenet-300-100", "--data-dir", data, "--epochs", "1", "--threads", "1", "--output", folder], new StringWriter(), train));
        Assert.Equal($"granet: {folder} holds a sweep (sweep.json); give the run a folder of its own with --output.", train.ToString().Trim());
        var resume = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(["train", "--resume", folder], new StringWriter(), resume));
        Assert.Equal($"granet: {folder} holds a sweep (sweep.json), not a run; continue it by running its own command again ('granet sweep {string.Join(' ', grid)} --output {folder}': finished cells are kept, interrupted ones resumed), or give --resume one of its run folders.", resume.ToString().Trim());
        var report = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(["report", folder], new StringWriter(), report));
        Assert.StartsWith($"granet: {folder} holds a sweep (sweep.json), not a run;", report.ToString().Trim(), StringComparison.Ordinal);

        // A record of a sweep of the defaults holds no argument: the folder alone is then tabulated as a sweep of the
        // defaults (here refused, for its cells were trained with other settings), not replayed over and over.
        new SweepRecord([]).Write(folder);
        var defaults = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(["sweep", "--report-only", "--output", folder], new StringWriter(), defaults));
        Assert.Contains("but this command gives", defaults.ToString(), StringComparison.Ordinal);

        // A damaged record is named, with what to do.
        File.WriteAllText(Path.Combine(folder, SweepRecord.FileName), "{ \"arguments\": 3 }");
        var damaged = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(["sweep", "--report-only", "--output", folder], new StringWriter(), damaged));
        Assert.StartsWith($"granet: {Path.Combine(folder, SweepRecord.FileName)}: not a sweep.json written by 'granet sweep'", damaged.ToString().Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_sweep_record_keeps_paths_in_full_and_a_report_leaves_out_how_cells_train()
    {
        var record = SweepRecord.Of(["--config", "cfg.json", "--jobs", "2", "--report-only", "true", "-o", "out", "--data-dir", "/data", "--threads", "8", "--methods", "dense"]);
        Assert.Equal(["--config", Path.GetFullPath("cfg.json"), "--jobs", "2", "--data-dir", "/data", "--threads", "8", "--methods", "dense"], record.Arguments);
        // On a machine of 2 cores a report asks for at most 2 threads (it trains nothing, and more would be refused).
        Assert.Equal(["--config", Path.GetFullPath("cfg.json"), "--jobs", "2", "--data-dir", "/data", "--threads", "2", "--methods", "dense"], record.ForReport(2));
        Assert.Equal($"granet sweep --config {Path.GetFullPath("cfg.json")} --jobs 2 --data-dir /data --threads 8 --methods dense --output 'my runs'", record.CommandLine("my runs"));
    }

    [Fact]
    public void A_sweep_command_line_quotes_each_argument_for_the_shell_and_leaves_plain_ones_bare()
    {
        Assert.Equal("--methods set,dense --output '/tmp/q dir/ü '\\''x'\\'' $HOME \"y\"/sw eep' --data-dir '/tmp/a&b' --note ''",
            SweepRecord.Join(["--methods", "set,dense", "--output", "/tmp/q dir/ü 'x' $HOME \"y\"/sw eep", "--data-dir", "/tmp/a&b", "--note", ""]));
        Assert.Equal("granet sweep --seeds 2 --output '/tmp/a&b/sw'", new SweepRecord(["--seeds", "2"]).CommandLine("/tmp/a&b/sw"));
    }

    [Fact]
    public void Report_only_needs_the_folder_of_a_sweep_with_a_finished_cell()
    {
        // --report-only without --output made a new empty runs/sweep-… folder; with an empty folder it printed
        // "results: DIR/results.md" and exited 0 without writing that file.
        string[] Args(params string[] more) => ["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--epochs", "1", "--threads", "1", "--methods", "static,dense",
            "--final-densities", "0.3", "--seeds", "1", "--report-only", .. more];
        string[] RunsFolders() => Directory.Exists("runs") ? Directory.GetDirectories("runs") : [];
        var before = RunsFolders();
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(Args(), output, error));
        Assert.Equal("granet: --report-only needs --output DIR, the folder of the sweep to tabulate.", error.ToString().Trim());
        Assert.Empty(output.ToString());
        Assert.Equal(before, RunsFolders());

        foreach (string folder in new[] { Directory.CreateDirectory(Path.Combine(root, "empty")).FullName, Path.Combine(root, "missing") })
        {
            output = new StringWriter();
            error = new StringWriter();
            Assert.Equal(ExitCodes.BadInput, Runner.Run(Args("--output", folder), output, error));
            Assert.Equal($"granet: no finished cells in {folder}; run the sweep without --report-only.", error.ToString().Trim());
            Assert.Empty(output.ToString());
        }
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(root, "empty")));
        Assert.False(Directory.Exists(Path.Combine(root, "missing")));
    }

    [Theory]
    [InlineData("--method", "granet")]
    [InlineData("--final-density", "0.1")]
    [InlineData("--init-density", "0.5")]
    public void Per_cell_options_are_refused(string option, string value)
    {
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(["sweep", option, value], new StringWriter(), error));
        Assert.Equal($"granet: {option} is set per cell by the sweep; use --methods, --final-densities, --init-densities (or train for a single run).", error.ToString().Trim());
    }

    [Fact]
    public void Resume_is_refused_with_how_a_sweep_continues()
    {
        string folder = Path.Combine(root, "resume");
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(["sweep", "--resume", folder], new StringWriter(), error));
        Assert.Equal("granet: --resume does not apply to a sweep: rerun the same sweep command with the same --output to continue it (finished cells are skipped, interrupted ones resumed).", error.ToString().Trim());
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void Help_leaves_out_the_train_options_that_the_sweep_refuses()
    {
        var output = new StringWriter();
        Assert.Equal(0, Runner.Run(["sweep", "--help"], output, new StringWriter()));
        string[] options = output.ToString().Split('\n').Select(l => l.TrimStart()).Where(l => l.StartsWith("--", StringComparison.Ordinal) || l.StartsWith("-o", StringComparison.Ordinal))
            .Select(l => l.Split(' ', ',')[0]).ToArray();
        Assert.Contains("--methods", options);
        Assert.Contains("--final-densities", options);
        Assert.Contains("--init-densities", options);
        Assert.Contains("--lr", options);
        Assert.Contains("-o", options);
        Assert.DoesNotContain("--method", options);
        Assert.DoesNotContain("--final-density", options);
        Assert.DoesNotContain("--init-density", options);
        Assert.DoesNotContain("--resume", options);
        Assert.Contains("  -o, --output <output>  ", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Sweep folder (default: a new folder under runs/); the same one continues a sweep; needed by --report-only", output.ToString(), StringComparison.Ordinal);

        // train still lists them.
        var train = new StringWriter();
        Assert.Equal(0, Runner.Run(["train", "--help"], train, new StringWriter()));
        Assert.Contains("  --method <granet|granet-uniform|gmp|", train.ToString(), StringComparison.Ordinal);
        Assert.Contains("  --resume <resume>", train.ToString(), StringComparison.Ordinal);
    }
}
