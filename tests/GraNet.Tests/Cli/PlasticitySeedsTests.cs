using System.Globalization;
using GraNet.Cli;
using GraNet.Cli.Studies;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary><c>granet plasticity --seeds N</c>: one study per base run, averaged.</summary>
public class PlasticitySeedsTests : IDisposable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly string root = TestFiles.TempFolder("granet-plasticity-seeds");
    private readonly string data;

    public PlasticitySeedsTests()
    {
        data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string[] Args(string output, params string[] extra) => ArgumentList.Build("plasticity",
        [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "2"), ("--batch-size", "32"), ("--lr", "0.05"),
            ("--threads", "1"), ("--at-epochs", "1"), ("--prune-rates", "0.5,0.9"), ("--continue-epochs", "1"), ("--seeds", "2"), ("--output", output)],
        extra);

    /// <summary>The arguments without <c>--seeds</c> and its value: the one-seed study.</summary>
    private static string[] WithoutSeeds(string[] args)
    {
        int at = Array.IndexOf(args, "--seeds");
        return at < 0 ? args : [.. args[..at], .. args[(at + 2)..]];
    }

    private static PlasticityCell Cell(int epoch, double rate, RegenerationMode mode, double before, double continued) => new(epoch, rate, mode, 0.1, 1, 1 - rate, before, 50, continued);

    [Fact]
    public void Cells_are_averaged_over_seeds_with_the_sample_standard_deviation()
    {
        // Plasticity 1, 2 and 4 points (continued − before): mean 7/3, sample variance ((4/3)² + (1/3)² + (5/3)²) / 2 = 7/3.
        List<IReadOnlyList<PlasticityCell>> seeds =
        [
            [Cell(5, 0, RegenerationMode.None, 90, 91), Cell(5, 0.5, RegenerationMode.None, 90, 91)],
            [Cell(5, 0.5, RegenerationMode.None, 88, 90), Cell(5, 0, RegenerationMode.None, 88, 88)],
            [Cell(5, 0.5, RegenerationMode.None, 86, 90), Cell(5, 0, RegenerationMode.None, 86, 86.5)],
        ];
        var cells = PlasticitySeeds.Aggregate(seeds);
        Assert.Equal([0, 0.5], cells.Select(c => c.Mean.PruneRate)); // the first seed's order
        var pruned = cells[1];
        Assert.Equal(88, pruned.Mean.AccuracyBefore, 12);
        Assert.Equal(7.0 / 3, pruned.Mean.Plasticity, 12);
        Assert.Equal(Math.Sqrt(7.0 / 3), pruned.Std, 12);
        Assert.Equal([1, 2, 4], pruned.Values.Select(v => Math.Round(v, 12)));
        // The control: 1, 0 and 0.5 → mean 0.5, std 0.5.
        Assert.Equal(0.5, cells[0].Mean.Plasticity, 12);
        Assert.Equal(0.5, cells[0].Std, 12);
    }

    [Fact]
    public void A_cell_missing_from_one_seed_is_left_out_and_one_seed_has_no_spread()
    {
        var two = PlasticitySeeds.Aggregate([[Cell(5, 0.5, RegenerationMode.None, 90, 91), Cell(5, 0.9, RegenerationMode.None, 90, 80)], [Cell(5, 0.5, RegenerationMode.None, 90, 92)]]);
        Assert.Equal(0.5, Assert.Single(two).Mean.PruneRate);
        var one = PlasticitySeeds.Aggregate([[Cell(5, 0.5, RegenerationMode.None, 90, 91)]]);
        Assert.Equal(0, Assert.Single(one).Std);
    }

    [Fact]
    public void The_summary_gives_mean_std_and_each_seeds_value_and_counts_regeneration_seed_by_seed()
    {
        var studies = new List<PlasticitySeeds.SeedStudy>
        {
            new(17, null, [Cell(5, 0.9, RegenerationMode.None, 90, 88), Cell(5, 0.9, RegenerationMode.Gradient, 90, 89)]),
            new(18, "collapsed", []),
            new(19, null, [Cell(5, 0.9, RegenerationMode.None, 90, 87), Cell(5, 0.9, RegenerationMode.Gradient, 90, 86)]),
        };
        string summary = PlasticitySeeds.Summary(studies, new GraNet.Cli.Configuration.RunConfiguration { Model = "lenet5-caffe" }, 1, "./granet plasticity --seeds 2");
        Assert.Contains("# Pruning plasticity: lenet5-caffe on fashion-mnist, 2 seeds", summary, StringComparison.Ordinal);
        Assert.Contains("seeds 17, 19, each seed's value in brackets in that order; seed 18's base run collapsed and did not count.", summary, StringComparison.Ordinal);
        // none: −2 and −3 → −2.50 ± 0.71; gradient: −1 and −4 → −2.50 ± 2.12.
        Assert.Contains("| 5 (0.1) | 90.00 | -2.50 ± 0.71 (-2.00, -3.00) |", summary, StringComparison.Ordinal);
        Assert.Contains("| 5 (0.1) | 90.00 | -2.50 ± 2.12 (-1.00, -4.00) |", summary, StringComparison.Ordinal);
        Assert.Contains("- Seed by seed, regeneration raises plasticity in 1 of 2 (seed, epoch, rate) pairs; in no cell for every seed.", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void The_summary_of_a_study_short_of_its_seeds_says_how_many_were_measured_and_how_to_go_on()
    {
        var studies = new List<PlasticitySeeds.SeedStudy>
        {
            new(17, null, [Cell(5, 0.9, RegenerationMode.None, 90, 88)]),
            new(18, "collapsed", []),
        };
        var configuration = new GraNet.Cli.Configuration.RunConfiguration { Model = "lenet5-caffe" };
        string running = PlasticitySeeds.Summary(studies, configuration, 1, "./granet plasticity --seeds 3", new PlasticitySeeds.Progress(3));
        Assert.Contains("**Not finished: 1 of the 3 seeds asked for measured.** The tables, charts and findings below average the measured seeds only; run the command below again, with this folder as its `--output`, to finish", running, StringComparison.Ordinal);
        string exhausted = PlasticitySeeds.Summary(studies, configuration, 1, "./granet plasticity --seeds 3", new PlasticitySeeds.Progress(3, 1));
        Assert.Contains("**Not finished: 1 of the 3 seeds asked for trained, and the seeds left cannot make up for the base runs that failed (1 replacement at most).**", exhausted, StringComparison.Ordinal);
        // Seeds 17–19 for 2 runs with 1 replacement: after seed 17 failed, 18 and 19 can still make 2; after 18 failed too, not.
        Assert.False(SeedPlan.CannotFinish(17, 2, 1, seed: 17, trained: 0));
        Assert.True(SeedPlan.CannotFinish(17, 2, 1, seed: 18, trained: 0));
        Assert.False(SeedPlan.CannotFinish(17, 2, 1, seed: 18, trained: 1));
        Assert.True(SeedPlan.CannotFinish(17, 2, 1, seed: 19, trained: 1));
        Assert.False(SeedPlan.CannotFinish(17, 2, 1, seed: 19, trained: 2));
        // Every seed asked for measured: nothing to say.
        string done = PlasticitySeeds.Summary(studies, configuration, 1, "./granet plasticity --seeds 1", new PlasticitySeeds.Progress(1));
        Assert.DoesNotContain("Not finished", done, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_seed_is_a_study_of_its_own_and_the_folder_holds_their_average_and_resumes()
    {
        string folder = Path.Combine(root, "study");
        string board = Path.Combine(root, "tb");
        var error = new StringWriter();
        Assert.True(Runner.Run(Args(folder, "--tensorboard", board), new StringWriter(), error) == 0, error.ToString());
        // Each seed's base run logs to its own TensorBoard folder, not all into one.
        Assert.Equal(["seed-17", "seed-18"], Directory.GetDirectories(board).Select(Path.GetFileName).Order());

        // Each seed's study is complete on its own: base run (with its seed), cells and outputs.
        foreach (int seed in new[] { 17, 18 })
        {
            string study = Path.Combine(folder, $"seed-{seed}");
            Assert.Contains($"\"seed\": {seed}", File.ReadAllText(Path.Combine(study, "base", "config.json")), StringComparison.Ordinal);
            Assert.Equal(6, File.ReadAllLines(Path.Combine(study, "plasticity.csv")).Length); // header + control + 2 rates x 2 modes
        }
        string[] csv = File.ReadAllLines(Path.Combine(folder, "plasticity.csv"));
        Assert.StartsWith("seed,epoch,pruneRate,", csv[0], StringComparison.Ordinal);
        Assert.Equal(11, csv.Length);
        PngAssert.Valid(Path.Combine(folder, "plasticity-none.png"), 800, 500);
        PngAssert.Valid(Path.Combine(folder, "plasticity-gradient.png"), 800, 500);

        // The summary's cell for 90 % without regeneration is the mean and sample std of the two seeds' values.
        double Plasticity(int seed) => double.Parse(File.ReadAllLines(Path.Combine(folder, $"seed-{seed}", "plasticity.csv")).Select(l => l.Split(',')).Single(c => c[1] == "0.9" && c[2] == "none")[9], Invariant);
        double a = Plasticity(17), b = Plasticity(18);
        string expected = string.Create(Invariant, $"{(a + b) / 2:+0.00;-0.00} ± {Math.Abs(a - b) / Math.Sqrt(2):0.00} ({a:+0.00;-0.00}, {b:+0.00;-0.00}) |");
        string summary = File.ReadAllText(Path.Combine(folder, "plasticity.md"));
        Assert.Contains(expected, summary, StringComparison.Ordinal);
        Assert.Contains("mean ± standard deviation over the base runs of seeds 17, 18", summary, StringComparison.Ordinal);

        // Again: nothing trains, every cell of both seeds is done, and the outputs are the same.
        var again = new StringWriter();
        Assert.Equal(0, Runner.Run(Args(folder, "--tensorboard", board), again, error));
        Assert.Equal(10, again.ToString().Split('\n').Count(l => l.EndsWith(": done", StringComparison.Ordinal)));
        Assert.DoesNotContain("base training", again.ToString(), StringComparison.Ordinal);
        Assert.Equal(csv, File.ReadAllLines(Path.Combine(folder, "plasticity.csv")));
    }

    [Fact]
    public void A_base_run_that_collapses_is_replaced_and_when_none_trains_the_study_fails_with_exit_4()
    {
        // lr 1e-9 leaves every base run at chance: each is stopped after its first epoch, kept, and replaced by the next seed.
        string folder = Path.Combine(root, "collapsed");
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(ExitCodes.TrainingFailed, Runner.Run(Args(folder, "--lr", "1e-9"), output, error));
        var seeds = Enumerable.Range(17, 2 + SeedPlan.DefaultReplacements).ToList();
        Assert.All(seeds, seed => Assert.Contains($"=== seed {seed}: the base run collapsed; not counted", output.ToString(), StringComparison.Ordinal));
        Assert.All(seeds, seed => Assert.Contains("\"outcome\": \"collapsed\"", File.ReadAllText(Path.Combine(folder, $"seed-{seed}", "base", "summary.json")), StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(folder, $"seed-{seeds[^1] + 1}")));
        Assert.Contains("=== seed 20: the base run collapsed; not counted, the next seed replaces it", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("=== seed 21: the base run collapsed; not counted, and no seed is left to replace it (3 replacements at most)", output.ToString(), StringComparison.Ordinal);
        // No seed was measured: no average is promised.
        Assert.Equal("granet: only 0 of 2 base runs trained (seed 17 collapsed, 18 collapsed, 19 collapsed, 20 collapsed, 21 collapsed; 3 replacements at most); try more --replacements (with this --output, which keeps what has finished), or another --seed or a lower --lr with another --output.",
            error.ToString().Trim());
        Assert.False(File.Exists(Path.Combine(folder, "plasticity.md")));

        // Run again: the collapsed base runs are read, not trained again.
        var again = new StringWriter();
        Assert.Equal(ExitCodes.TrainingFailed, Runner.Run(Args(folder, "--lr", "1e-9"), again, new StringWriter()));
        Assert.DoesNotContain("base training", again.ToString(), StringComparison.Ordinal);

        // One more replacement trains seed 22 only; a later command without --replacements counts it too.
        var more = new StringWriter();
        Assert.Equal(ExitCodes.TrainingFailed, Runner.Run(Args(folder, "--lr", "1e-9", "--replacements", "4"), more, new StringWriter()));
        Assert.Equal(1, more.ToString().Split('\n').Count(l => l.Contains("base training", StringComparison.Ordinal)));
        Assert.Contains("=== seed 22: the base run collapsed; not counted, and no seed is left to replace it (4 replacements at most)", more.ToString(), StringComparison.Ordinal);
        var counted = new StringWriter();
        var message = new StringWriter();
        Assert.Equal(ExitCodes.TrainingFailed, Runner.Run(Args(folder, "--lr", "1e-9"), counted, message));
        Assert.DoesNotContain("base training", counted.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("granet: only 0 of 2 base runs trained (seed 17 collapsed, 18 collapsed, 19 collapsed, 20 collapsed, 21 collapsed, 22 collapsed; 4 replacements at most)", message.ToString().Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_from_run_whose_config_json_was_edited_out_of_range_is_named_by_file_and_key()
    {
        string run = Directory.CreateDirectory(Path.Combine(root, "edited", "base")).FullName;
        string config = Path.Combine(run, "config.json");
        File.WriteAllText(config, """{ "model": "lenet-300-100", "dataset": "fashion-mnist", "training": { "epochs": 0 } }""");
        var error = new StringWriter();
        string[] from = ["plasticity", "--from", run, "--at-epochs", "1", "--output", Path.Combine(root, "from-edited")];
        Assert.Equal(ExitCodes.BadInput, Runner.Run(from, new StringWriter(), error));
        Assert.Equal($"granet: {config}: training.epochs 0 must be at least 1; fix the file.", error.ToString().Trim());
    }

    [Fact]
    public void Seeds_are_refused_with_from_below_one_and_in_a_folder_of_the_other_kind()
    {
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(Args(Path.Combine(root, "zero"), "--seeds", "0"), new StringWriter(), error));
        Assert.Equal("granet: --seeds 0 must be at least 1.", error.ToString().Trim());

        string run = Directory.CreateDirectory(Path.Combine(root, "earlier", "base")).FullName;
        File.WriteAllText(Path.Combine(run, "config.json"), GraNet.Cli.Configuration.ConfigurationJson.Serialize(
            new GraNet.Cli.Configuration.RunConfiguration { Model = "lenet-300-100", Training = new GraNet.Training.TrainingOptions { Epochs = 6 } }));
        error = new StringWriter();
        string[] from = ["plasticity", "--from", run, "--at-epochs", "4", "--seeds", "3", "--output", Path.Combine(root, "from")];
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(from, new StringWriter(), error));
        Assert.Equal($"granet: --from {run} reuses that run as its config.json trained it; drop --seeds, or leave out --from to train a base run with it.", error.ToString().Trim());

        // A folder of one seed's study (base/) is not continued as a study over seeds, nor the other way round.
        string one = Path.Combine(root, "earlier");
        error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(Args(one), new StringWriter(), error));
        Assert.Equal($"granet: {one} holds a study of one seed (base/, study.json); choose another --output for --seeds 2, or leave out --seeds to continue it.", error.ToString().Trim());
        string several = Path.Combine(root, "several");
        Directory.CreateDirectory(Path.Combine(several, "seed-17", "base"));
        error = new StringWriter();
        string[] oneSeed = WithoutSeeds(Args(several));
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(oneSeed, new StringWriter(), error));
        Assert.Equal($"granet: {several} holds a study over several seeds (seed-N folders); continue it with its --seeds, or choose another --output.", error.ToString().Trim());
    }

    [Fact]
    public void The_options_the_study_always_refuses_are_not_in_its_help_and_resume_says_how_to_continue()
    {
        var help = new StringWriter();
        Assert.Equal(0, Runner.Run(["plasticity", "--help"], help, new StringWriter()));
        Assert.Contains("--seeds", help.ToString(), StringComparison.Ordinal);
        Assert.Contains("--init-density", help.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("--resume", help.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("--method", help.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("--final-density", help.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("--update-interval", help.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("--regrowth-rate", help.ToString(), StringComparison.Ordinal);
        // Options shared with train say what they mean here, not what they mean to train.
        Assert.Contains("With --start sparse: the density of the base run's static ERK mask", help.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("dense-to-sparse", help.ToString(), StringComparison.Ordinal);
        Assert.Contains("Study folder (default: a new folder under runs/)", help.ToString(), StringComparison.Ordinal);
        Assert.Contains("--regenerate <none|gradient|both>", help.ToString(), StringComparison.Ordinal);

        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(Args(Path.Combine(root, "resumed"), "--resume", Path.Combine(root, "resumed")), new StringWriter(), error));
        Assert.Equal("granet: --resume does not apply to the plasticity study: run the same command again with the same --output to continue a study (its base run resumes, finished cells are skipped).", error.ToString().Trim());
    }

    [Fact]
    public void A_checkpoint_epoch_given_twice_is_refused()
    {
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(Args(Path.Combine(root, "twice"), "--at-epochs", "1,1"), new StringWriter(), error));
        Assert.Equal("granet: --at-epochs '1,1' gives epoch 1 more than once; give each checkpoint epoch once.", error.ToString().Trim());
    }

    [Fact]
    public void A_pruning_rate_given_twice_is_refused_as_a_checkpoint_epoch_is()
    {
        // 0.50 is the rate 0.5 written otherwise: it would be measured once, and the line to reproduce would keep both.
        string folder = Path.Combine(root, "rate-twice");
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(WithoutSeeds(Args(folder, "--prune-rates", "0.5,0.9,0.50")), new StringWriter(), error));
        Assert.Equal("granet: --prune-rates '0.5,0.9,0.50' gives rate 0.5 more than once; give each pruning rate once.", error.ToString().Trim());
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_one_seed_study_whose_base_run_collapsed_says_so_and_does_not_measure_it_when_run_again()
    {
        string folder = Path.Combine(root, "one-collapsed");
        string[] args = WithoutSeeds(Args(folder, "--lr", "1e-9"));
        var error = new StringWriter();
        Assert.Equal(ExitCodes.TrainingFailed, Runner.Run(args, new StringWriter(), error));
        string expected = $"granet: the base run in {Path.Combine(folder, "base")} collapsed, so there is nothing to measure; try another --seed, or a lower --lr, with another --output (or --seeds N, which replaces such a run by the next seed).";
        Assert.Equal(expected, error.ToString().Trim());
        var again = new StringWriter();
        error = new StringWriter();
        Assert.Equal(ExitCodes.TrainingFailed, Runner.Run(args, again, error));
        Assert.Equal(expected, error.ToString().Trim());
        Assert.DoesNotContain("accuracy", again.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, "cells")) && Directory.EnumerateFiles(Path.Combine(folder, "cells")).Any());
    }

    [Fact]
    public void An_unknown_model_is_refused_before_the_study_folder_is_made()
    {
        string folder = Path.Combine(root, "unknown");
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(Args(folder, "--model", "foo", "--seeds", "1"), new StringWriter(), error));
        Assert.False(Directory.Exists(folder));
        string[] oneSeed = WithoutSeeds(Args(folder, "--model", "foo"));
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(oneSeed, new StringWriter(), new StringWriter()));
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_from_run_that_collapsed_is_refused_with_exit_4()
    {
        string run = Directory.CreateDirectory(Path.Combine(root, "collapsed-run")).FullName;
        File.WriteAllText(Path.Combine(run, "config.json"), GraNet.Cli.Configuration.ConfigurationJson.Serialize(
            new GraNet.Cli.Configuration.RunConfiguration { Model = "lenet-300-100", Training = new GraNet.Training.TrainingOptions { Epochs = 6 } }));
        File.WriteAllText(Path.Combine(run, "summary.json"), "{ \"outcome\": \"collapsed\", \"testAccuracy\": 10.0 }");
        var error = new StringWriter();
        string[] args = ["plasticity", "--from", run, "--data-dir", data, "--threads", "1", "--at-epochs", "1", "--output", Path.Combine(root, "from-collapsed")];
        Assert.Equal(ExitCodes.TrainingFailed, Runner.Run(args, new StringWriter(), error));
        Assert.Equal($"granet: --from {run}: that run collapsed, so there is nothing to measure; give a run that trained.", error.ToString().Trim());
    }

    [Fact]
    public void One_seed_is_described_as_one_seed_without_a_spread()
    {
        var studies = new List<PlasticitySeeds.SeedStudy> { new(17, null, [Cell(5, 0.9, RegenerationMode.None, 90, 88)]) };
        string summary = PlasticitySeeds.Summary(studies, new GraNet.Cli.Configuration.RunConfiguration(), 1, "./granet plasticity --seeds 1");
        Assert.Contains("Plasticity in points, of the base run of seed 17 alone (one seed: no spread to give).", summary, StringComparison.Ordinal);
        Assert.Contains("| -2.00 (one seed) |", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("±", summary, StringComparison.Ordinal);
    }
}
