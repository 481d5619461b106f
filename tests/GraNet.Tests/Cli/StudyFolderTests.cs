using GraNet.Cli;
using GraNet.Cli.Configuration;
using GraNet.Cli.Studies;
using GraNet.IO;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>sweep and plasticity: settings are checked before anything trains, and a folder made with other settings is not reused.</summary>
public class StudyFolderTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-study");
    private readonly string data;

    public StudyFolderTests()
    {
        data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static (int Code, string Output, string Error) Run(string[] args) => CliHarness.Run(args);

    private string[] Sweep(string folder, params string[] extra) => ArgumentList.Build("sweep",
        [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "1"), ("--batch-size", "32"), ("--lr", "0.05"),
            ("--threads", "1"), ("--methods", "dense"), ("--seeds", "1"), ("--output", folder)],
        extra);

    private string[] Plasticity(string folder, params string[] extra) => ArgumentList.Build("plasticity",
        [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "3"), ("--batch-size", "32"), ("--lr", "0.05"),
            ("--threads", "1"), ("--at-epochs", "1"), ("--prune-rates", "0.5"), ("--regenerate", "none"), ("--continue-epochs", "1"), ("--output", folder)],
        extra);

    private static Dictionary<string, byte[]> Snapshot(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order().ToDictionary(f => f, File.ReadAllBytes);

    [Fact]
    public void Configurations_are_compared_by_meaning_ignoring_the_settings_that_may_change()
    {
        var saved = new RunConfiguration { Model = "lenet5", Threads = 4, DataDir = "/a", Preset = "quick", Training = new() { Epochs = 20, Milestones = [10, 15] } };
        var same = new RunConfiguration { Model = "lenet5-caffe", Threads = 1, DataDir = "/b", Training = new() { Epochs = 20 } };
        Assert.Null(ConfigurationComparison.FirstDifference(saved, same));
        var other = same with { Training = same.Training with { LearningRate = 0.01 }, Sparsity = same.Sparsity with { FinalDensity = 0.1 } };
        Assert.Equal(new JsonDifference("training.learningRate", "0.1", "0.01"), ConfigurationComparison.FirstDifference(saved, other));
        Assert.Equal(new JsonDifference("model", "lenet5-caffe", "lenet-300-100"), ConfigurationComparison.FirstDifference(saved, other with { Model = "lenet300" }));
    }

    [Fact]
    public void A_sweep_rerun_with_a_changed_option_is_refused_before_training_and_changes_nothing()
    {
        string folder = Path.Combine(root, "sweep");
        var first = Run(Sweep(folder));
        Assert.True(first.Code == 0, first.Error);
        var before = Snapshot(folder);
        // An interrupted cell would be resumed: it must be checked too.
        string cell = Path.Combine(folder, "dense-s17");
        File.Delete(Path.Combine(cell, "summary.json"));
        before.Remove(Path.Combine(cell, "summary.json"));

        var changed = Run(Sweep(folder, "--lr", "0.01"));

        Assert.Equal(ExitCodes.BadArguments, changed.Code);
        Assert.Equal($"granet: {cell} was trained with --lr 0.05, but this command gives 0.01; rerun with the original options, or choose another --output.", changed.Error.Trim());
        Assert.DoesNotContain("==", changed.Output, StringComparison.Ordinal);
        Assert.Equal(before.Keys, Snapshot(folder).Keys);
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));

        // The thread count may change: the cell is resumed (here: its last checkpoint is final) with the new one.
        var threads = Run(Sweep(folder, "--threads", Math.Min(2, Environment.ProcessorCount).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(threads.Code == 0, threads.Error);
        Assert.Contains("== dense-s17 (resuming)", threads.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void More_replacements_continue_a_cell_and_its_later_seeds_stay_in_the_tables_without_them()
    {
        // lr 1e9 diverges every seed. No replacement: seed 17 alone; --replacements 2 continues the cell with 18 and 19; a
        // command without it (the default 3 would stop at seed 20) still counts the folder's later seeds, here with 2 more.
        string folder = Path.Combine(root, "more");
        var none = Run(Sweep(folder, "--lr", "1e9", "--replacements", "0"));
        Assert.Equal(ExitCodes.TrainingFailed, none.Code);
        Assert.Equal("granet: dense: 0 of 1 runs trained (seed 17 diverged); try more --replacements, or a lower --lr with another --output.", none.Error.Trim());
        Assert.Equal(["dense-s17"], Directory.GetDirectories(folder, "dense-*").Select(d => Path.GetFileName(d)!).ToArray());
        Assert.Contains("Runs that did not train, with no seed left to replace them (0 replacements at most per cell): dense-s17 (diverged).",
            File.ReadAllText(Path.Combine(folder, "results.md")), StringComparison.Ordinal);

        var more = Run(Sweep(folder, "--lr", "1e9", "--replacements", "2"));
        Assert.Equal(ExitCodes.TrainingFailed, more.Code);
        Assert.Contains("== dense-s17: done (diverged)", more.Output, StringComparison.Ordinal);
        Assert.Equal("granet: dense: 0 of 1 runs trained (seeds 17–19 diverged); try more --replacements, or a lower --lr with another --output.", more.Error.Trim());

        var five = Run(Sweep(folder, "--lr", "1e9", "--replacements", "5"));
        Assert.Equal("granet: dense: 0 of 1 runs trained (seeds 17–22 diverged); try more --replacements, or a lower --lr with another --output.", five.Error.Trim());
        var report = Run(Sweep(folder, "--lr", "1e9", "--report-only"));
        Assert.Equal(ExitCodes.TrainingFailed, report.Code);
        Assert.Equal("granet: dense: 0 of 1 runs trained (seeds 17–22 diverged); try more --replacements, or a lower --lr with another --output.", report.Error.Trim());
        string markdown = File.ReadAllText(Path.Combine(folder, "results.md"));
        Assert.Contains("Runs that did not train (replaced by the next seed): dense-s17 (diverged), dense-s18 (diverged), dense-s19 (diverged), dense-s20 (diverged), dense-s21 (diverged).", markdown, StringComparison.Ordinal);
        Assert.Contains("Runs that did not train, with no seed left to replace them (5 replacements at most per cell): dense-s22 (diverged).", markdown, StringComparison.Ordinal);
        Assert.Equal(7, File.ReadAllLines(Path.Combine(folder, "results.csv")).Length);
    }

    [Fact]
    public void Negative_replacements_are_refused_and_a_single_plasticity_study_has_none()
    {
        string folder = Path.Combine(root, "negative");
        var sweep = Run(Sweep(folder, "--replacements", "-1"));
        Assert.Equal(ExitCodes.BadArguments, sweep.Code);
        Assert.Equal("granet: --replacements -1 cannot be negative (0: a run that collapses or diverges is not replaced).", sweep.Error.Trim());
        var study = Run(Plasticity(folder, "--replacements", "2"));
        Assert.Equal(ExitCodes.BadArguments, study.Code);
        Assert.Equal("granet: --replacements applies to a study over seeds (--seeds N), which replaces a base run that collapses or diverges; a study of one run has none: add --seeds 1, or drop --replacements.", study.Error.Trim());
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_sweep_with_an_impossible_cell_is_refused_before_any_cell_trains()
    {
        string folder = Path.Combine(root, "impossible");
        var (code, output, error) = Run(Sweep(folder, "--methods", "set,granet", "--final-densities", "0.1", "--prune-end-epoch", "2"));
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("granet: sweep cell granet-d0.1-i1-s17: --prune-end-epoch 2 must not exceed --epochs 1.", error.Trim());
        Assert.Empty(output);
        Assert.False(Directory.Exists(folder));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void A_diverged_run_is_kept_reported_and_replaced_like_a_collapse(string asked)
    {
        // Two jobs need two cores (the tool refuses more jobs than cores); on one, both cases run one job.
        string jobs = Math.Min(int.Parse(asked, System.Globalization.CultureInfo.InvariantCulture), Environment.ProcessorCount).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // lr 1e9 turns the loss NaN in the first epoch for every seed: each is recorded and replaced until no seed is left;
        // the result files are written, then the sweep ends with exit code 4 and names the cell that did not get its runs.
        string folder = Path.Combine(root, "nan");
        var (code, output, error) = Run(Sweep(folder, "--lr", "1e9", "--jobs", jobs));
        Assert.Equal(ExitCodes.TrainingFailed, code);
        Assert.Equal("granet: dense: 0 of 1 runs trained (seeds 17–20 diverged); try more --replacements, or a lower --lr with another --output.", error.Trim());
        Assert.EndsWith($"results: {Path.Combine(folder, "results.md")}", output.Trim(), StringComparison.Ordinal);
        var seeds = Enumerable.Range(17, 1 + SeedPlan.DefaultReplacements).ToList();
        Assert.All(seeds, seed => Assert.Contains(jobs == "1" ? $"== dense-s{seed} diverged: The training loss became" : $"== dense-s{seed}: diverged (NaN loss; see the log)", output, StringComparison.Ordinal));
        // The library names the options it suggests by property; the tool shows its flags, in the output and in summary.json.
        Assert.Contains("or add --warmup-epochs.", jobs == "1" ? output : File.ReadAllText(Path.Combine(folder, "logs", "dense-s17.log")), StringComparison.Ordinal);
        Assert.DoesNotContain("TrainingOptions.", output, StringComparison.Ordinal);
        Assert.Contains("lower --lr (now ", File.ReadAllText(Path.Combine(folder, "dense-s17", "summary.json")), StringComparison.Ordinal);
        Assert.All(seeds, seed => Assert.Contains("\"outcome\": \"diverged\"", File.ReadAllText(Path.Combine(folder, $"dense-s{seed}", "summary.json")), StringComparison.Ordinal));
        string markdown = File.ReadAllText(Path.Combine(folder, "results.md"));
        Assert.Contains("| dense | – |", markdown, StringComparison.Ordinal);
        Assert.Contains("Runs that did not train (replaced by the next seed): dense-s17 (diverged), dense-s18 (diverged), dense-s19 (diverged).", markdown, StringComparison.Ordinal);
        Assert.Contains("Runs that did not train, with no seed left to replace them (3 replacements at most per cell): dense-s20 (diverged).", markdown, StringComparison.Ordinal);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(folder, "results.csv")).Length);
        Assert.False(File.Exists(Path.Combine(folder, "accuracy.png")));

        // Run again, nothing trains and the cell is still short; a chart of another grid in the folder goes (no run of this one trained).
        File.WriteAllText(Path.Combine(folder, "accuracy.png"), "an earlier grid's chart");
        var again = Run(Sweep(folder, "--lr", "1e9", "--jobs", jobs));
        Assert.False(File.Exists(Path.Combine(folder, "accuracy.png")));
        Assert.Equal(ExitCodes.TrainingFailed, again.Code);
        Assert.Equal(error, again.Error);
        Assert.Equal(4, again.Output.Split('\n').Count(l => l.EndsWith(": done (diverged)", StringComparison.Ordinal)));
    }

    [Fact]
    public void Plasticity_refuses_a_model_or_data_set_that_contradicts_the_from_run()
    {
        string run = Path.Combine(root, "mlp");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "config.json"), ConfigurationJson.Serialize(new RunConfiguration { Model = "lenet-300-100", Dataset = "fashion-mnist" }));
        string folder = Path.Combine(root, "from");
        // With --from the run decides the recipe: only the model and data set are given here.
        string[] FromRun(params string[] extra) => ArgumentList.Build("plasticity",
            [("--from", run), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--threads", "1"), ("--at-epochs", "1"), ("--prune-rates", "0.5"), ("--regenerate", "none"), ("--continue-epochs", "1"), ("--output", folder)],
            extra);

        var model = Run(FromRun("--model", "lenet5-caffe"));
        Assert.Equal(ExitCodes.BadArguments, model.Code);
        Assert.Equal($"granet: --model lenet5-caffe contradicts the --from run {run}, which trained lenet-300-100; drop --model, or give a run of lenet5-caffe.", model.Error.Trim());
        var dataset = Run(FromRun("--dataset", "mnist"));
        Assert.Equal(ExitCodes.BadArguments, dataset.Code);
        Assert.Contains("--dataset mnist contradicts the --from run", dataset.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder));

        // The same model under another name passes; this run then lacks epoch checkpoints.
        var alias = Run(FromRun("--model", "lenet300"));
        Assert.Equal(ExitCodes.BadInput, alias.Code);
        Assert.Contains($"{run}: no epoch-N.ckpt checkpoints to prune", alias.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Plasticity_refuses_a_study_folder_whose_base_run_had_other_settings()
    {
        string folder = Path.Combine(root, "study");
        string baseRun = Path.Combine(folder, "base");
        Directory.CreateDirectory(baseRun);
        // A base run of 20 epochs (the default), killed before its first checkpoint.
        File.WriteAllText(Path.Combine(baseRun, "config.json"), ConfigurationJson.Serialize(new RunConfiguration { Model = "lenet-300-100" }));
        var before = Snapshot(folder);

        var (code, output, error) = Run(Plasticity(folder));

        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal($"granet: {baseRun} was trained with --epochs 20, but this command gives 3; rerun with the original options, or choose another --output.", error.Trim());
        Assert.Empty(output);
        Assert.Equal(before.Keys, Snapshot(folder).Keys);
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));
    }

    [Fact]
    public void Plasticity_refuses_a_study_folder_measured_with_other_continue_epochs()
    {
        string folder = Path.Combine(root, "continued");
        Directory.CreateDirectory(folder);
        new PlasticityStudy(null, 2).Write(folder);

        var (code, _, error) = Run(Plasticity(folder));

        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal($"granet: {folder} was measured with --continue-epochs 2, but this command gives 1; rerun with the original options, or choose another --output.", error.Trim());
        Assert.Equal([Path.Combine(folder, "study.json")], Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void Growth_applies_to_the_cells_that_regrow_and_not_to_the_others()
    {
        // --growth has no meaning for gmp or static: it goes to the rigl cell only, instead of refusing the sweep.
        string folder = Path.Combine(root, "growth");
        var (code, _, error) = Run(Sweep(folder, "--methods", "rigl,static", "--final-densities", "0.3", "--seeds", "1", "--growth", "random", "--update-interval", "5"));
        Assert.True(code == 0, error);
        string Growth(string cell)
        {
            using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, cell, "config.json")));
            return config.RootElement.GetProperty("sparsity").GetProperty("growth").ToString();
        }
        Assert.Equal("random", Growth("rigl-d0.3-s17"));
        Assert.Equal(string.Empty, Growth("static-d0.3-s17"));
    }

    [Theory]
    [InlineData("granet: --growth random has no effect with --methods gmp,static (none of them regrows); drop it.", "--methods", "gmp,static", "--growth", "random")]
    [InlineData("granet: --momentum has no effect with --optimizer adam; drop it.", "--optimizer", "adam", "--momentum", "0.5")]
    public void Options_no_cell_would_use_are_refused_before_anything_is_written(string message, params string[] extra)
    {
        string folder = Path.Combine(root, "unused");
        var (code, _, error) = Run(Sweep(folder, extra));
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal(message, error.Trim());
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_cell_that_lost_its_config_json_gets_it_back_from_its_checkpoint_and_the_sweep_goes_on()
    {
        string folder = Path.Combine(root, "lost-config");
        Assert.Equal(0, Run(Sweep(folder)).Code);
        string config = Path.Combine(folder, "dense-s17", "config.json");
        string saved = File.ReadAllText(config);
        File.Delete(config);
        var again = Run(Sweep(folder));
        Assert.True(again.Code == 0, again.Error);
        Assert.Null(ConfigurationComparison.FirstDifference(ConfigurationJson.Deserialize(saved, config), ConfigurationJson.Deserialize(File.ReadAllText(config), config)));

        // Checked all the same: a changed option is refused.
        File.Delete(config);
        var changed = Run(Sweep(folder, "--lr", "0.01"));
        Assert.Equal(ExitCodes.BadArguments, changed.Code);
        Assert.StartsWith($"granet: {Path.Combine(folder, "dense-s17")} was trained with --lr 0.05, but this command gives 0.01;", changed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_study_json_is_refused_with_a_fix_that_keeps_the_measured_cells()
    {
        string folder = Directory.CreateDirectory(Path.Combine(root, "damaged-study")).FullName;
        string file = Path.Combine(folder, PlasticityStudy.FileName);
        const string Fix = "; delete study.json and rerun the study's own command (its base run and measured cells are kept), or choose another --output.";
        File.WriteAllText(file, "{\"x\":1}");
        Assert.Equal($"{file}: not a study.json written by 'granet plasticity' (continueEpochs 0){Fix}", Assert.Throws<InvalidDataException>(() => PlasticityStudy.Read(folder)).Message);
        File.WriteAllText(file, "{");
        Assert.EndsWith(Fix, Assert.Throws<InvalidDataException>(() => PlasticityStudy.Read(folder)).Message, StringComparison.Ordinal);
        File.WriteAllText(file, "null");
        Assert.Equal($"{file}: empty{Fix}", Assert.Throws<InvalidDataException>(() => PlasticityStudy.Read(folder)).Message);
    }
}
