using System.Text.Json;
using GraNet.Cli;
using GraNet.Cli.Commands;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>
/// <c>granet train</c> accepts no option that would be ignored, and a run folder is never left in a state that the
/// error's own advice cannot get out of.
/// </summary>
public class TrainOptionRulesTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-train-rules");
    private readonly string data;

    public TrainOptionRulesTests()
    {
        data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>As <see cref="CliHarness.Run"/>, standard error trimmed (its one line).</summary>
    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var (code, output, error) = CliHarness.Run(args);
        return (code, output, error.Trim());
    }

    private string[] Train(string output, params string[] extra) => ArgumentList.Build("train",
        [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "1"), ("--batch-size", "32"), ("--lr", "0.05"), ("--threads", "1"), ("--output", output)],
        extra);

    [Theory]
    [InlineData("granet: --final-density has no effect with --method dense (the default); choose a sparse --method (e.g. granet, gmp, rigl, static), or drop it.", "--final-density", "0.1")]
    [InlineData("granet: --distribution, --final-density have no effect with --method dense; choose a sparse --method (e.g. granet, gmp, rigl, static), or drop them.", "--method", "dense", "--final-density", "0.1", "--distribution", "er")]
    [InlineData("granet: --regrowth-rate, --growth have no effect with --method gmp; drop them.", "--method", "gmp", "--regrowth-rate", "0.3", "--growth", "random")]
    [InlineData("granet: --init-density has no effect with --method rigl; drop it.", "--method", "rigl", "--init-density", "0.5")]
    [InlineData("granet: --distribution has no effect with --method gmp at --init-density 1 (a dense start; pruning sets each layer's density); give --init-density below 1 for a sparse start, or drop it.", "--method", "gmp", "--distribution", "uniform")]
    [InlineData("granet: --distribution has no effect with --method granet-uniform at --init-density 1 (a dense start; pruning sets each layer's density); give --init-density below 1 for a sparse start, or drop it.", "--method", "granet-uniform", "--init-density", "1", "--distribution", "er")]
    [InlineData("granet: --rigl-stop has no effect with --method set; drop it.", "--method", "set", "--rigl-stop", "0.5")]
    [InlineData("granet: --update-interval has no effect with --method static; drop it.", "--method", "static", "--update-interval", "50")]
    [InlineData("granet: --classifier-rule has no effect with --method granet; drop it.", "--method", "granet", "--classifier-rule", "false")]
    [InlineData("granet: --prune-start-epoch, --prune-end-epoch have no effect with --method snfs; drop them.", "--method", "snfs", "--prune-start-epoch", "0", "--prune-end-epoch", "1")]
    [InlineData("granet: --momentum, --nesterov have no effect with --optimizer adam; drop them.", "--optimizer", "adam", "--lr", "0.001", "--momentum", "0.5", "--nesterov", "true")]
    [InlineData("granet: --milestones, --gamma have no effect with --schedule cosine (they belong to --schedule multistep); drop them.", "--schedule", "cosine", "--milestones", "1", "--gamma", "0.5")]
    [InlineData("granet: --gamma has no effect with --schedule constant (they belong to --schedule multistep); drop it.", "--schedule", "constant", "--gamma", "0.5")]
    public void A_sparsity_option_the_method_does_not_use_is_refused_before_anything_is_written(string message, params string[] extra)
    {
        string run = Path.Combine(root, "unused");
        var (code, _, error) = Run(Train(run, extra));
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal(message, error);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void The_options_a_method_does_use_are_accepted()
    {
        string run = Path.Combine(root, "used");
        var (code, _, error) = Run(Train(run, "--method", "granet-uniform", "--classifier-rule", "false", "--init-density", "0.5", "--final-density", "0.2",
            "--update-interval", "5", "--prune-start-epoch", "0", "--prune-end-epoch", "1", "--regrowth-rate", "0.3", "--growth", "momentum", "--distribution", "uniform"));
        Assert.True(code == 0, error);
    }

    [Fact]
    public void More_threads_than_cores_are_refused()
    {
        int cores = Environment.ProcessorCount;
        var (code, _, error) = Run(Train(Path.Combine(root, "threads"), "--threads", (cores + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal($"granet: --threads {cores + 1} exceeds the {cores} cores of this machine (more threads than cores only wait for each other); give at most {cores}.", error);
        Assert.Equal(cores, TrainOptions.MaxThreads);
    }

    [Fact]
    public void Momentum_zero_turns_nesterov_off_unless_nesterov_is_asked_for()
    {
        string run = Path.Combine(root, "plain-sgd");
        var (code, _, error) = Run(Train(run, "--momentum", "0"));
        Assert.True(code == 0, error);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.False(config.RootElement.GetProperty("training").GetProperty("nesterov").GetBoolean());

        var (asked, _, refusal) = Run(Train(Path.Combine(root, "nesterov"), "--momentum", "0", "--nesterov", "true"));
        Assert.Equal(ExitCodes.BadArguments, asked);
        Assert.Contains("--nesterov", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unwritable_tensorboard_folder_is_refused_before_the_run_folder_is_made()
    {
        // A file stands where the TensorBoard folder should go: the folder cannot be created.
        string blocker = Path.Combine(root, "blocker");
        File.WriteAllText(blocker, "a file");
        string run = Path.Combine(root, "tb-run");
        var (code, _, error) = Run(Train(run, "--tensorboard", Path.Combine(blocker, "tb")));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith($"granet: --tensorboard {Path.Combine(blocker, "tb")}: {blocker} is a file, not a folder; choose another --tensorboard", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(run));
        // The same command with a folder that can be written trains into the same --output.
        var (again, _, againError) = Run(Train(run, "--tensorboard", Path.Combine(root, "tb")));
        Assert.True(again == 0, againError);
    }

    [Fact]
    public async Task A_relative_data_dir_is_saved_as_a_full_path_for_commands_run_from_elsewhere()
    {
        // Saved as given ("data"), it was looked for in the working folder of a later evaluate or resume, which then
        // scored other test images or refused the run's own data.
        string run = Path.Combine(root, "relative");
        using var train = CliHarness.Start(["train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", "data", "--epochs", "1", "--batch-size", "32", "--threads", "1", "--output", run], workingDirectory: root);
        var trained = train.StandardError.ReadToEndAsync();
        _ = train.StandardOutput.ReadToEndAsync();
        Assert.True(train.WaitForExit(60_000));
        Assert.True(train.ExitCode == 0, await trained);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(data, config.RootElement.GetProperty("dataDir").GetString());
    }

    [Fact]
    public async Task A_resumed_run_may_find_its_data_elsewhere_and_remembers_where()
    {
        string run = Path.Combine(root, "moved");
        Assert.Equal(0, Run(Train(run)).Code);
        string moved = Path.Combine(root, "data-moved");
        Directory.Move(data, moved);
        Directory.CreateDirectory(data); // the old folder is empty now

        var (code, _, error) = Run("train", "--resume", run, "--data-dir", moved);
        Assert.True(code == 0, error);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))))
        {
            Assert.Equal(moved, config.RootElement.GetProperty("dataDir").GetString());
        }
        // The next resume finds the data without being told.
        var (next, _, nextError) = Run("train", "--resume", run);
        Assert.True(next == 0, nextError);

        // Once the folder it was trained with is gone, a resume searches the usual places ($GRANET_DATA here) rather
        // than refusing a --data-dir that was never given.
        string elsewhere = Path.Combine(root, "data-elsewhere");
        Directory.Move(moved, elsewhere);
        // In a process of its own: setting GRANET_DATA here would reach the tests running beside this one.
        using var resumed = CliHarness.Start(["train", "--resume", run], new Dictionary<string, string> { ["GRANET_DATA"] = elsewhere });
        var found = resumed.StandardError.ReadToEndAsync();
        _ = resumed.StandardOutput.ReadToEndAsync();
        Assert.True(resumed.WaitForExit(60_000));
        Assert.True(resumed.ExitCode == 0, await found);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))))
        {
            // Where it found them, recorded for the next resume and for evaluate.
            Assert.Equal(elsewhere, config.RootElement.GetProperty("dataDir").GetString());
        }

        // What is trained still comes from config.json only.
        var (refused, _, refusal) = Run("train", "--resume", run, "--lr", "0.1");
        Assert.Equal(ExitCodes.BadArguments, refused);
        Assert.Equal("granet: --resume continues with the run's own config.json; drop --lr (only --threads, --cpu-kernels, --data-dir and --tensorboard may change).", refusal);
    }

    [Theory]
    [InlineData("{ \"training\": { \"learningRate\": \"x\" } }", "training.learningRate \"x\" must be a number")]
    [InlineData("{ \"training\": { \"epochs\": 1.5 } }", "training.epochs 1.5 must be a whole number")]
    [InlineData("{ \"sparsity\": { \"method\": \"magic\" } }", "sparsity.method \"magic\" must be one of: granet, granet-uniform, gmp, gmp-uniform, rigl, set, snfs, static, dense")]
    [InlineData("{ \"training\": { \"nesterov\": 1 } }", "training.nesterov 1 must be true or false")]
    [InlineData("{ \"foo\": 1 }", "foo is not a configuration key (the top-level keys: model, dataset, dataDir, threads, cpuKernels, preset, tensorBoard, evaluationBatchSize, training, sparsity)")]
    public void A_bad_value_in_a_config_file_is_named_by_its_key_and_kind(string json, string what)
    {
        string file = Path.Combine(root, "bad.json");
        File.WriteAllText(file, json);
        var (code, _, error) = Run(Train(Path.Combine(root, "cfg"), "--config", file));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {file}: {what}; fix the file (keys as in a run's config.json).", error);
    }

    [Theory]
    [InlineData("training.learningRate", "--lr")]
    [InlineData("sparsity.finalDensity", "--final-density")]
    [InlineData("sparsity.regrowthRateMin", "--config key sparsity.regrowthRateMin")]
    [InlineData("model", "--model")]
    [InlineData("evaluationBatchSize", "--config key evaluationBatchSize")]
    public void A_config_key_is_shown_as_its_flag(string key, string flag) =>
        Assert.Equal(flag, GraNet.Cli.Configuration.OptionFlags.ForConfigKey(key));

    [Fact]
    public async Task Ctrl_c_says_how_to_continue_and_keeps_the_last_epochs_checkpoint()
    {
        string run = Path.Combine(root, "interrupted");
        using var train = CliHarness.Start(Train(run, "--epochs", "500"), keyboardInterrupt: true);
        var readError = train.StandardError.ReadToEndAsync();
        var readOutput = train.StandardOutput.ReadToEndAsync();
        // Interrupt once the first epoch has been written (its checkpoint is the one to continue from).
        WaitFor(() => File.Exists(Path.Combine(run, "metrics.jsonl")) && File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length >= 1);
        string stderr = await Interrupt(train, readOutput, readError);
        Assert.Equal(130, train.ExitCode);
        Assert.Equal($"granet: interrupted; the last finished epoch's checkpoint is kept; continue with 'granet train --resume {run}'.", stderr);
        Assert.True(File.Exists(Path.Combine(run, "last.ckpt")));
    }

    [Fact]
    public async Task Ctrl_c_before_the_first_epoch_ends_says_no_checkpoint_is_kept()
    {
        // An epoch of seconds (6,000 images through LeNet-5-Caffe), interrupted as soon as the run folder is made.
        string slow = Path.Combine(root, "data-slow");
        Directory.CreateDirectory(slow);
        TestFiles.WriteTinyMnist(slow, train: 6000);
        string run = Path.Combine(root, "early");
        using var train = CliHarness.Start(["train", "--model", "lenet5-caffe", "--dataset", "fashion-mnist", "--data-dir", slow, "--epochs", "5", "--batch-size", "32", "--threads", "1", "--output", run], keyboardInterrupt: true);
        var readError = train.StandardError.ReadToEndAsync();
        var readOutput = train.StandardOutput.ReadToEndAsync();
        WaitFor(() => File.Exists(Path.Combine(run, "config.json")));
        string stderr = await Interrupt(train, readOutput, readError);
        Assert.Equal(130, train.ExitCode);
        // What the line says of the checkpoint is what the folder holds (the first epoch may have ended just before).
        Assert.Equal(File.Exists(Path.Combine(run, "last.ckpt"))
            ? $"granet: interrupted; the last finished epoch's checkpoint is kept; continue with 'granet train --resume {run}'."
            : $"granet: interrupted; no epoch's checkpoint had been written yet; 'granet train --resume {run}' starts the run again from epoch 1.", stderr);
    }

    private static void WaitFor(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && !condition())
        {
            Thread.Sleep(20);
        }
    }

    /// <summary>Sends SIGINT and returns the process's standard error; if it does not end, fails with what it printed and how it treats SIGINT.</summary>
    private static async Task<string> Interrupt(System.Diagnostics.Process process, Task<string> output, Task<string> error)
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        if (!process.WaitForExit(30_000))
        {
            string signals = string.Join(", ", File.ReadLines($"/proc/{process.Id}/status").Where(l => l.StartsWith("Sig", StringComparison.Ordinal)));
            process.Kill(entireProcessTree: true);
            Assert.Fail($"no exit 30 s after SIGINT ({signals}); stdout: {await output}; stderr: {await error}");
        }
        return (await error).Trim();
    }

    [Fact]
    public void A_run_folder_another_process_is_writing_is_refused_and_free_again_when_it_ends()
    {
        string run = Path.Combine(root, "busy");
        Assert.Equal(0, Run(Train(run)).Code);
        var folder = new GraNet.Cli.Output.RunFolder(run);
        using (folder.Lock())
        {
            var (code, _, error) = Run("train", "--resume", run);
            Assert.Equal(ExitCodes.Busy, code);
            Assert.Equal($"granet: {run} is being written by another granet process; wait for it to end (or stop it), then continue with 'granet train --resume {run}' or the command that started it.", error);
        }
        var (again, _, againError) = Run("train", "--resume", run);
        Assert.True(again == 0, againError);
    }

    [Fact]
    public void A_damaged_mask_update_log_is_named_on_resume()
    {
        string run = Path.Combine(root, "log");
        Assert.Equal(0, Run(Train(run, "--method", "static", "--final-density", "0.5")).Code);
        string log = Path.Combine(run, "mask-updates.jsonl");
        File.AppendAllText(log, "garbage\n");
        var (code, _, error) = Run("train", "--resume", run);
        Assert.Equal(ExitCodes.BadInput, code);
        int line = File.ReadAllLines(log).Length;
        Assert.Equal($"granet: {log}: line {line} is not a mask update written by 'granet train'; delete the file (the run then logs the updates from the checkpoint on) or restore it, and resume again.", error);
        File.Delete(log);
        Assert.Equal(0, Run("train", "--resume", run).Code);
    }

    [Theory]
    [InlineData("last.ckpt")]
    [InlineData("best.ckpt")] // read at the end of the run for its test accuracy: named before anything is rewritten too
    public void A_damaged_checkpoint_on_resume_says_the_run_cannot_continue_from_it_and_changes_nothing(string name)
    {
        string run = Path.Combine(root, "damaged-" + name);
        Assert.Equal(0, Run(Train(run)).Code);
        string checkpoint = Path.Combine(run, name);
        TestFiles.CutShort(checkpoint);
        string[] metrics = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        string config = File.ReadAllText(Path.Combine(run, "config.json"));
        var (code, _, error) = Run("train", "--resume", run, "--data-dir", data);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith($"granet: {checkpoint}: the GraNet checkpoint is damaged", error, StringComparison.Ordinal);
        Assert.EndsWith("the run cannot continue from it: restore the file, or train the run again with another --output.", error, StringComparison.Ordinal);
        Assert.Equal(metrics, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")));
        Assert.Equal(config, File.ReadAllText(Path.Combine(run, "config.json")));
    }

    [Fact]
    public void A_resume_with_data_of_another_size_names_the_data_not_options_that_resume_refuses()
    {
        // Before: the step counts no longer matched, and the refusal named --update-interval or --batch-size, which
        // --resume does not take, or gave the library's advice on Create's step counts.
        string run = Path.Combine(root, "other-data");
        Assert.Equal(0, Run(Train(run, "--method", "granet", "--final-density", "0.2", "--update-interval", "5", "--prune-end-epoch", "1")).Code);
        string smaller = Directory.CreateDirectory(Path.Combine(root, "smaller")).FullName;
        TestFiles.WriteTinyMnist(smaller, train: 100);
        string[] metrics = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        var (code, _, error) = Run("train", "--resume", run, "--data-dir", smaller);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {smaller} holds 90 training images (3 steps per epoch at batch 32, validation held out), but the run in {run} trained 9 steps per epoch: resume it with the data it was trained on (give that folder with --data-dir).", error);
        Assert.Equal(metrics, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")));
        Assert.Equal(0, Run("train", "--resume", run, "--data-dir", data).Code);
    }

    [Fact]
    public void A_run_the_method_refuses_before_it_starts_prints_the_refusal_alone()
    {
        // Before: "run folder: …" and the data line came first, naming a folder that the refusal then removed.
        string run = Path.Combine(root, "refused");
        var (code, output, error) = Run(Train(run, "--method", "set", "--update-interval", "1000"));
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("", output);
        Assert.Equal("granet: --update-interval 1000 leaves no regeneration step in steps 1..9 of this run (9 per epoch), so set would not regenerate at all; use a shorter interval.", error);
        Assert.False(Directory.Exists(run));
        (code, output, _) = Run(Train(run, "--method", "set", "--update-interval", "4", "--final-density", "0.5"));
        Assert.Equal(0, code);
        Assert.StartsWith($"run folder: {run}\nlenet-300-100 on fashion-mnist: 270 training, 30 validation, 100 test images from {data}; 1 thread", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_resume_with_other_images_of_the_same_size_is_refused_and_the_summary_names_the_data()
    {
        // As many images and labels, other pixels (another copy, edited): the step counts fit, so only the content tells.
        string run = Path.Combine(root, "other-content");
        Assert.Equal(0, Run(Train(run)).Code);
        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
        var header = GraNet.Training.Checkpoint.ReadHeader(Path.Combine(run, "last.ckpt"));
        Assert.Matches("^[0-9a-f]{64}$", (string)summary["trainingImagesSha256"]!);
        Assert.Equal(header.TrainingImagesSha256, (string)summary["trainingImagesSha256"]!);
        Assert.Equal(header.TestImagesSha256, (string)summary["testImagesSha256"]!);
        Assert.NotEqual(header.TrainingImagesSha256, header.TestImagesSha256);

        string redrawn = Directory.CreateDirectory(Path.Combine(root, "redrawn")).FullName;
        TestFiles.WriteTinyMnist(redrawn, seed: 2);
        string[] metrics = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        string config = File.ReadAllText(Path.Combine(run, "config.json")); // records the data folder: a resume rewrites it
        byte[] checkpoint = File.ReadAllBytes(Path.Combine(run, "last.ckpt"));
        var (code, _, error) = Run("train", "--resume", run, "--data-dir", redrawn);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {redrawn} holds other training and test images than the run in {run} used (their SHA-256 digests over images and labels differ): resume it with the data it was trained on (give that folder with --data-dir).", error);
        Assert.Equal(metrics, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")));
        Assert.Equal(config, File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(checkpoint, File.ReadAllBytes(Path.Combine(run, "last.ckpt")));
    }

    [Fact]
    public void A_run_saved_with_more_threads_than_this_machine_has_resumes_with_its_cores()
    {
        // config.json keeps the thread count of the machine that started the run; only an explicit --threads is refused.
        string run = Path.Combine(root, "many-threads");
        Assert.Equal(0, Run(Train(run)).Code);
        string file = Path.Combine(run, "config.json");
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"threads\": 1", "\"threads\": 64", StringComparison.Ordinal));
        var (code, _, error) = Run("train", "--resume", run);
        Assert.True(code == 0, error);
        using var config = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal(Math.Min(64, TrainOptions.MaxThreads), config.RootElement.GetProperty("threads").GetInt32());
    }

    [Fact]
    public void A_sweep_folder_another_sweep_is_working_in_is_refused_before_any_cell_trains()
    {
        string folder = Path.Combine(root, "sweep-busy");
        Directory.CreateDirectory(folder);
        using (new GraNet.Cli.Output.RunFolder(folder).Lock())
        {
            var (code, _, error) = Run("sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32",
                "--threads", "1", "--methods", "dense", "--seeds", "1", "--output", folder);
            Assert.Equal(ExitCodes.Busy, code);
            Assert.StartsWith($"granet: {folder} is being written by another granet process", error, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(Path.Combine(folder, "dense-s17")));
    }

    [Fact]
    public void A_sweep_folder_is_not_used_as_a_run_folder()
    {
        string sweep = Directory.CreateDirectory(Path.Combine(root, "a-sweep")).FullName;
        File.WriteAllText(Path.Combine(sweep, "results.csv"), "method\n");
        var (code, _, error) = Run(Train(sweep));
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal($"granet: {sweep} holds a sweep (results.csv); give the run a folder of its own with --output.", error);
        Assert.False(File.Exists(Path.Combine(sweep, "config.json")));
    }

    [Fact]
    public void A_sweep_or_a_study_is_not_written_into_a_folder_holding_another_kind_of_output()
    {
        string run = Directory.CreateDirectory(Path.Combine(root, "a-run")).FullName;
        File.WriteAllText(Path.Combine(run, "config.json"), "{}");
        string sweep = Directory.CreateDirectory(Path.Combine(root, "the-sweep")).FullName;
        File.WriteAllText(Path.Combine(sweep, "results.csv"), "method\n");
        string study = Directory.CreateDirectory(Path.Combine(root, "a-study")).FullName;
        File.WriteAllText(Path.Combine(study, "study.json"), "{}");
        string[] Sweep(string output) => ArgumentList.Build("sweep",
            [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "1"), ("--threads", "1"), ("--methods", "dense"), ("--seeds", "1"), ("--output", output)], []);
        string[] Study(string output, params string[] extra) => ArgumentList.Build("plasticity",
            [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "2"), ("--threads", "1"), ("--at-epochs", "1"), ("--output", output)], extra);
        foreach (var (args, folder, held, what) in new[]
        {
            (Sweep(run), run, "a training run (config.json, checkpoints)", "sweep"),
            (Sweep(study), study, "a plasticity study", "sweep"),
            (Study(run), run, "a training run (config.json, checkpoints)", "study"),
            (Study(sweep), sweep, "a sweep (results.csv)", "study"),
            (Study(sweep, "--seeds", "2"), sweep, "a sweep (results.csv)", "study"),
        })
        {
            var before = Directory.GetFileSystemEntries(folder).Order().ToList();
            var (code, _, error) = Run(args);
            Assert.Equal(ExitCodes.BadArguments, code);
            Assert.Equal($"granet: {folder} holds {held}; give the {what} a folder of its own with --output.", error);
            Assert.Equal(before, Directory.GetFileSystemEntries(folder).Order().ToList());
        }
    }

    [Fact]
    public void An_alias_is_recorded_by_its_canonical_name()
    {
        string run = Path.Combine(root, "alias");
        var (code, _, error) = Run("train", "--model", "mlp", "--dataset", "fmnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32", "--threads", "1", "--output", run);
        Assert.True(code == 0, error);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal("lenet-300-100", config.RootElement.GetProperty("model").GetString());
        Assert.Equal("fashion-mnist", config.RootElement.GetProperty("dataset").GetString());
    }

    [Fact]
    public void A_default_sweep_folder_stopped_before_its_first_cell_finished_is_continued_not_taken_for_a_run()
    {
        // Claimed (the marker every default folder gets) and locked, with no results.csv yet: what Ctrl+C leaves.
        string sweep = Directory.CreateDirectory(Path.Combine(root, "sweep-claimed")).FullName;
        File.WriteAllText(Path.Combine(sweep, GraNet.Cli.Output.RunFolder.ClaimFileName), string.Empty);
        File.WriteAllText(Path.Combine(sweep, GraNet.Cli.Output.RunFolder.LockFileName), string.Empty);
        Assert.Null(GraNet.Cli.Studies.FolderContents.Of(sweep));
        var (code, _, error) = Run(ArgumentList.Build("sweep",
            [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "1"), ("--batch-size", "32"), ("--threads", "1"), ("--methods", "dense"), ("--seeds", "1"), ("--output", sweep)], []));
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(sweep, "results.csv")));
    }
}
