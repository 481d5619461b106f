using System.Text.Json;
using GraNet.Cli;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>The granet command end to end on a tiny generated data set.</summary>
public class CliTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-cli");
    private readonly string data;

    public CliTests()
    {
        data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args) => CliHarness.Run(args);

    /// <summary>A small training command; options in <paramref name="extra"/> replace the defaults of the same name.</summary>
    private string[] Train(string output, params string[] extra) => ArgumentList.Build("train",
        [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "2"), ("--batch-size", "32"), ("--lr", "0.05"), ("--threads", "1"), ("--output", output)],
        extra);

    [Fact]
    public void Train_writes_the_run_folder_and_evaluate_reads_its_checkpoint()
    {
        string run = Path.Combine(root, "run");
        var (code, output, error) = Run(Train(run));
        Assert.True(code == 0, error);
        Assert.Contains("test accuracy", output, StringComparison.Ordinal);

        var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        Assert.Equal(2, lines.Length);
        using (var first = JsonDocument.Parse(lines[0]))
        {
            Assert.Equal(1, first.RootElement.GetProperty("epoch").GetInt32());
            Assert.True(first.RootElement.GetProperty("trainLoss").GetDouble() > 0);
            Assert.Equal(1.0, first.RootElement.GetProperty("density").GetDouble());
        }
        // 0.05 × 0.1 × 0.1 (both default milestones fall on epoch 1), written as the number it is, not 0.0005000000000000001.
        Assert.Contains("\"learningRate\":0.0005,", lines[1], StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        foreach (string key in new[] { "testAccuracy", "bestValidationAccuracy", "bestEpoch", "epochs", "wallSeconds", "imagesPerSecond", "parameters", "finalDensity", "layers", "inferenceFlopsRelative", "trainingFlopsRelative", "everActiveFraction" })
        {
            Assert.True(summary.RootElement.TryGetProperty(key, out _), $"summary.json lacks {key}");
        }
        Assert.Equal(266_610, summary.RootElement.GetProperty("parameters").GetInt64());
        Assert.True(summary.RootElement.GetProperty("testAccuracy").GetDouble() > 50);
        Assert.True(File.Exists(Path.Combine(run, "config.json")));
        Assert.True(File.Exists(Path.Combine(run, "last.ckpt")));

        var evaluate = Run("evaluate", "--checkpoint", Path.Combine(run, "last.ckpt"), "--data-dir", data);
        Assert.True(evaluate.Code == 0, evaluate.Error);
        Assert.Contains("test accuracy", evaluate.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_pruned_to_empty_layers_stops_when_its_loss_reaches_chance_and_names_the_layers()
    {
        // GMP to 0.0002 (53 of 266,200 weights) over epochs 0-2 of 4: epoch 1 learns, then global pruning empties fc1 and
        // fc2, the output stops depending on the input, and a later epoch sits at chance.
        string run = Path.Combine(root, "emptied");
        var (code, output, error) = Run(Train(run, "--epochs", "4", "--method", "gmp", "--final-density", "0.0002", "--prune-end-epoch", "2",
            "--update-interval", "1", "--validation", "0"));
        Assert.Equal(4, code);
        Assert.Contains("collapsed (training loss not below chance) and was stopped", error, StringComparison.Ordinal);
        Assert.Matches(@"Training collapsed: the mean training loss of epoch [234] is", output);
        Assert.Contains("layer fc1.weight has no weight left (53 of 266,200 weights active at density 0.000199), so a plain chain of layers no longer depends on its input; raise --final-density (0.0002 now).", output, StringComparison.Ordinal);
        Assert.True(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length >= 2);
        // A later epoch at chance, after epoch 1 learned: the network fell back.
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal("fell-back", summary.RootElement.GetProperty("collapseKind").GetString());
    }

    [Fact]
    public void A_completed_run_that_lost_whole_layers_warns()
    {
        // One epoch that learns before its last pruning events empty fc1: the epoch's mean loss is below chance, so the
        // run completes, and says what happened to its layers.
        string run = Path.Combine(root, "emptied-once");
        var (code, output, error) = Run(Train(run, "--epochs", "1", "--method", "gmp", "--final-density", "0.0002", "--prune-end-epoch", "1",
            "--update-interval", "1", "--validation", "0"));
        Assert.True(code == 0, error);
        Assert.Contains("warning: layers fc1.weight, fc2.weight have no weight left (53 of 266,200 weights active at density 0.000199)", output, StringComparison.Ordinal);

        // Evaluating or exporting it says so too: its accuracy no longer depends on the images.
        string note = "note: fc1.weight, fc2.weight hold no non-zero weight: their output no longer depends on the input (pruning emptied them), so the network's predictions do not depend on the image.";
        var evaluated = Run("evaluate", "--checkpoint", Path.Combine(run, "last.ckpt"), "--data-dir", data, "--threads", "1");
        Assert.True(evaluated.Code == 0, evaluated.Error);
        Assert.Contains(note, evaluated.Output, StringComparison.Ordinal);
        var exported = Run("export", "--checkpoint", Path.Combine(run, "last.ckpt"), "--output", Path.Combine(root, "emptied.gsm"));
        Assert.True(exported.Code == 0, exported.Error);
        Assert.Contains(note, exported.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_larger_than_the_training_set_is_refused_before_the_run_folder_is_made()
    {
        string run = Path.Combine(root, "huge-batch");
        var (code, _, error) = Run(Train(run, "--batch-size", "1073741824", "--validation", "0"));
        Assert.Equal(2, code);
        Assert.Matches(@"^granet: --batch-size 1073741824 must not exceed the \d+ training images\.$", error.Trim());
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void A_diverged_run_says_to_change_the_learning_rate_in_another_folder()
    {
        string run = Path.Combine(root, "diverged");
        var (code, _, error) = Run(Train(run, "--lr", "1e9", "--validation", "0"));
        Assert.Equal(4, code);
        Assert.Matches(@"^granet: The training loss became (NaN|∞|-?Infinity) at epoch 1, step \d+ .*; lower --lr \(now 1E\+09\) or .*, in another --output \(.*diverged keeps this run's record\)\.$", error.Trim());
        Assert.Contains("\"outcome\": \"diverged\"", File.ReadAllText(Path.Combine(run, "summary.json")), StringComparison.Ordinal);

        // Resuming it would only repeat it.
        var before = File.ReadAllText(Path.Combine(run, "summary.json"));
        var (again, output, refusal) = Run("train", "--resume", run);
        Assert.Equal(4, again);
        Assert.Equal($"granet: {run} holds a run that diverged (see its summary.json); a --resume would repeat it: train with other options (a lower --lr, --warmup-epochs) in another --output.", refusal.Trim());
        Assert.Equal("", output);
        Assert.Equal(before, File.ReadAllText(Path.Combine(run, "summary.json")));
    }

    [Fact]
    public void A_damaged_summary_is_written_again_by_a_resume_as_its_message_says()
    {
        string run = Path.Combine(root, "damaged-summary");
        Assert.Equal(0, Run(Train(run)).Code);
        File.WriteAllText(Path.Combine(run, "summary.json"), "{ not json");
        var (code, _, error) = Run("train", "--resume", run);
        Assert.True(code == 0, error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal("completed", summary.RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public void A_resume_without_a_checkpoint_says_it_starts_again()
    {
        string run = Path.Combine(root, "no-checkpoint");
        Assert.Equal(0, Run(Train(run, "--epochs", "1", "--validation", "0")).Code);
        File.Delete(Path.Combine(run, "last.ckpt"));
        var (code, output, _) = Run("train", "--resume", run, "--data-dir", data);
        Assert.Equal(0, code);
        Assert.Contains($"note: {run} has no last.ckpt (deleted, or the run was stopped before it finished an epoch): training starts again from epoch 1.", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^training 1 epoch \(\d+ steps per epoch\)$", output);
        string Wall() => System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement.GetProperty("wallSeconds").GetRawText();
        string wall = Wall();
        var again = Run("train", "--resume", run, "--data-dir", data);
        Assert.Contains("the epoch was trained already; the summary is written again from the last checkpoint", again.Output, StringComparison.Ordinal);
        Assert.Equal(wall, Wall()); // a resume that trains nothing adds no time
    }

    [Fact]
    public void Evaluate_on_another_data_set_of_the_same_shape_normalises_as_the_model_was_trained()
    {
        // The same image files read as MNIST: a model trained on Fashion-MNIST still gets inputs normalised with
        // Fashion-MNIST's constants (0.2860, 0.3530), so it scores exactly as on its own data set (with MNIST's 0.1307,
        // 0.3081 it scored otherwise). An untrained model (lr 1e-9: it collapses, its checkpoint is kept) is the one whose
        // predictions move with any change of its inputs.
        string run = Path.Combine(root, "for-other-dataset");
        Assert.Equal(ExitCodes.TrainingFailed, Run(Train(run, "--epochs", "1", "--validation", "0", "--lr", "1e-9")).Code);
        string checkpoint = Path.Combine(run, "last.ckpt");
        var own = Run("evaluate", "--checkpoint", checkpoint, "--data-dir", data, "--threads", "1", "--batch-size", "1000000");
        var other = Run("evaluate", "--checkpoint", checkpoint, "--data-dir", data, "--dataset", "mnist", "--threads", "1");
        Assert.True(own.Code == 0, own.Error);
        Assert.True(other.Code == 0, other.Error);
        static string Accuracy(string output) => System.Text.RegularExpressions.Regex.Match(output, @"test accuracy [0-9.]+%").Value;
        Assert.NotEmpty(Accuracy(own.Output));
        Assert.Equal(Accuracy(own.Output), Accuracy(other.Output));
    }

    [Fact]
    public void A_resume_from_another_runs_checkpoint_names_it_as_that_run_s_not_as_other_data()
    {
        // Another model's last.ckpt copied into the folder, trained at another batch size: its steps per epoch differ from what
        // this run's data gives, which is not the problem (the data is the run's own); the checkpoint is another run's.
        string run = Path.Combine(root, "own"), other = Path.Combine(root, "other");
        Assert.Equal(0, Run(Train(run, "--epochs", "1", "--validation", "0")).Code);
        // At a learning rate of 1e-9 it collapses (exit 4) whatever the machine's rounding, and keeps its checkpoint.
        Assert.Equal(ExitCodes.TrainingFailed, Run(Train(other, "--epochs", "1", "--validation", "0", "--model", "lenet5-caffe", "--batch-size", "64", "--lr", "1e-9")).Code);
        File.Copy(Path.Combine(other, "last.ckpt"), Path.Combine(run, "last.ckpt"), overwrite: true);
        var (code, _, error) = Run("train", "--resume", run, "--data-dir", data, "--threads", "1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {Path.Combine(run, "last.ckpt")}: the checkpoint was written by a run of model lenet5-caffe, this run trains lenet-300-100; resume a folder with its own checkpoint, or train afresh in another folder.", error.Trim());
    }

    [Fact]
    public void A_resume_from_a_best_ckpt_copied_over_last_ckpt_says_it_holds_weights_only_and_changes_nothing()
    {
        // best.ckpt keeps the model alone; it was taken for a dense run's checkpoint ("resume with the same --method"), a
        // dense run's too, although --resume takes no --method.
        string run = Path.Combine(root, "best-as-last");
        Assert.Equal(0, Run(Train(run, "--epochs", "1")).Code);
        string last = Path.Combine(run, "last.ckpt");
        File.Copy(Path.Combine(run, "best.ckpt"), last, overwrite: true);
        var before = Directory.GetFiles(run).ToDictionary(f => f, File.ReadAllBytes);
        var (code, _, error) = Run("train", "--resume", run);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {last}: the checkpoint holds a model's weights only (as best.ckpt does: no optimizer state or masks), so training cannot continue from it; put back the run's own last.ckpt, or start the run afresh.", error.Trim());
        Assert.All(before, file => Assert.Equal(file.Value, File.ReadAllBytes(file.Key)));
    }

    [Fact]
    public void A_folder_in_the_place_of_last_ckpt_is_refused_before_anything_trains_and_changes_nothing()
    {
        // The resume found no last.ckpt, started again from epoch 1 and failed only when that epoch's checkpoint was written.
        string run = Path.Combine(root, "folder-as-last");
        Assert.Equal(0, Run(Train(run, "--epochs", "1")).Code);
        string last = Path.Combine(run, "last.ckpt");
        File.Move(last, Path.Combine(root, "kept.ckpt"));
        Directory.CreateDirectory(last);
        var before = Directory.GetFiles(run).ToDictionary(f => f, File.ReadAllBytes);
        var (code, output, error) = Run("train", "--resume", run);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {last} is a folder where a file is written; move it away, then continue with 'granet train --resume {run}'.", error.Trim());
        Assert.DoesNotContain("epoch", output, StringComparison.OrdinalIgnoreCase);
        Assert.All(before, file => Assert.Equal(file.Value, File.ReadAllBytes(file.Key)));
    }

    [Fact]
    public void A_resume_of_a_damaged_config_json_says_it_may_be_deleted_and_put_back_from_the_checkpoint()
    {
        string run = Path.Combine(root, "damaged-config");
        Assert.Equal(0, Run(Train(run, "--epochs", "1", "--validation", "0")).Code);
        File.WriteAllText(Path.Combine(run, "config.json"), "{");
        var (code, _, error) = Run("train", "--resume", run, "--data-dir", data);
        Assert.Equal(ExitCodes.BadInput, code);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"granet: {Path.Combine(run, "config.json")}: not valid JSON", line, StringComparison.Ordinal);
        Assert.EndsWith($"; fix the file (keys as in a run's config.json), or delete it: --resume then writes it again from {Path.Combine(run, "last.ckpt")}.", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_resume_puts_back_a_lost_config_json_from_the_checkpoint()
    {
        string run = Path.Combine(root, "lost-config");
        Assert.Equal(0, Run(Train(run, "--epochs", "1", "--validation", "0")).Code);
        string config = Path.Combine(run, "config.json");
        string before = File.ReadAllText(config);
        File.Delete(config);
        var (code, _, error) = Run("train", "--resume", run, "--data-dir", data);
        Assert.True(code == 0, error);
        Assert.Equal(before, File.ReadAllText(config));
    }

    [Fact]
    public void A_run_that_stays_at_chance_stops_after_one_epoch_with_exit_code_4_and_says_so_on_stderr()
    {
        // With a learning rate of 1e-9 the loss stays at about ln(10): the run has collapsed by definition.
        string run = Path.Combine(root, "collapsed");
        var (code, output, error) = Run(Train(run, "--lr", "1e-9", "--validation", "0"));
        Assert.Equal(4, code);
        Assert.Contains("collapsed (training loss not below chance) and was stopped; the note above says what to change.", error, StringComparison.Ordinal);
        // The trainer's notice names options by property; the tool shows its flags.
        Assert.Contains("Try another --seed or a lower --lr", output, StringComparison.Ordinal);
        // The tiny data set gives few steps per epoch, which the notice names as a cause too.
        Assert.Contains(", or a smaller --batch-size (epoch 1 had only ", output, StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")));
        // The advised fix cannot be a --resume (which keeps the options): the folder says how to try again.
        var again = Run(Train(run, "--lr", "0.05", "--validation", "0"));
        Assert.Equal(2, again.Code);
        Assert.Equal($"granet: {run} holds a run that collapsed; a --resume cannot change its options: train with other options in another --output (or delete the folder).", again.Error.Trim());
    }

    [Fact]
    public void A_sparse_run_ends_at_the_final_density_and_prints_the_layer_table()
    {
        string run = Path.Combine(root, "sparse");
        var (code, output, error) = Run(Train(run, "--method", "granet", "--init-density", "0.5", "--final-density", "0.1", "--update-interval", "4", "--prune-end-epoch", "1"));
        Assert.True(code == 0, error);
        Assert.Contains("fc1.weight", output, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal(0.1, summary.RootElement.GetProperty("finalDensity").GetDouble(), 4);
        Assert.Equal("granet", summary.RootElement.GetProperty("method").GetString());
        Assert.Equal(3, summary.RootElement.GetProperty("layers").GetArrayLength());
        Assert.True(summary.RootElement.GetProperty("inferenceFlopsRelative").GetDouble() < 0.2);

        var updates = File.ReadAllLines(Path.Combine(run, "mask-updates.jsonl"));
        Assert.StartsWith("{\"step\":0,\"kind\":\"initial\"", updates[0], StringComparison.Ordinal);
        Assert.Contains(updates, l => l.Contains("\"kind\":\"prune\"", StringComparison.Ordinal));
        Assert.Contains(updates, l => l.Contains("\"kind\":\"regenerate\"", StringComparison.Ordinal));
        // Each line names every layer; a regeneration moves k = ceil(r · n) weights of each layer that is neither dense nor
        // empty (spec §4; the logged rate has 6 decimals, so r · n is known to within n · 5e-7), keeps its count, and grows
        // again some of the just-dropped, so the net change (removed = added) is at most k.
        foreach (string line in updates)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var layers = root.GetProperty("layers").EnumerateArray().ToList();
            Assert.Equal(["fc1.weight", "fc2.weight", "fc3.weight"], layers.Select(l => l.GetProperty("layer").GetString()));
            Assert.Equal(root.GetProperty("density").GetDouble(), layers.Sum(l => l.GetProperty("active").GetDouble()) / layers.Sum(l => l.GetProperty("count").GetDouble()), 6);
            Assert.Equal(root.GetProperty("moved").GetInt64(), layers.Sum(l => l.GetProperty("moved").GetInt64()));
            if (root.GetProperty("kind").GetString() != "regenerate")
            {
                Assert.All(layers, l => Assert.Equal(0, l.GetProperty("moved").GetInt64()));
                continue;
            }
            double rate = root.GetProperty("rate").GetDouble();
            foreach (var layer in layers)
            {
                long n = layer.GetProperty("active").GetInt64(), count = layer.GetProperty("count").GetInt64(), moved = layer.GetProperty("moved").GetInt64();
                long added = layer.GetProperty("added").GetInt64();
                Assert.Equal(added, layer.GetProperty("removed").GetInt64());
                Assert.InRange(added, 0, moved);
                if (n == 0 || n == count)
                {
                    Assert.Equal(0, moved);
                    continue;
                }
                Assert.InRange(moved, rate * n - n * 5e-7, rate * n + 1 + n * 5e-7);
            }
        }

        string compact = Path.Combine(run, "model.gsm");
        var export = Run("export", "--checkpoint", Path.Combine(run, "last.ckpt"), "--output", compact);
        Assert.True(export.Code == 0, export.Error);
        Assert.Contains("% of the dense model", export.Output, StringComparison.Ordinal);
        var fromCheckpoint = Run("evaluate", "--checkpoint", Path.Combine(run, "last.ckpt"), "--data-dir", data);
        var fromCompact = Run("infer", "--model", compact, "--data-dir", data);
        Assert.True(fromCompact.Code == 0, fromCompact.Error);
        string Accuracy(string text) => text[text.IndexOf("test accuracy", StringComparison.Ordinal)..].Split('%')[0];
        Assert.Equal(Accuracy(fromCheckpoint.Output), Accuracy(fromCompact.Output));
        Assert.Contains("images/s", fromCompact.Output, StringComparison.Ordinal);
        // infer runs the sparse engine (each layer's choice is printed), evaluate runs libtorch as trained: same accuracy.
        Assert.Contains("sparse execution: fc1 ", fromCompact.Output, StringComparison.Ordinal);
        Assert.Contains("dense execution: test accuracy", fromCheckpoint.Output, StringComparison.Ordinal);
        var bad = Run("infer", "--model", compact, "--data-dir", data, "--engine", "fast");
        Assert.Equal(2, bad.Code);

        var report = Run("report", run);
        Assert.True(report.Code == 0, report.Error);
        string markdown = File.ReadAllText(Path.Combine(run, "report.md"));
        foreach (string chart in new[] { "loss", "accuracy", "density", "ever-active", "flops", "layers" })
        {
            Assert.Contains($"(report/{chart}.png)", markdown, StringComparison.Ordinal);
            PngAssert.Valid(Path.Combine(run, "report", chart + ".png"), 800, 500);
        }
    }

    [Fact]
    public void Tensorboard_event_files_hold_the_scalars()
    {
        string board = Path.Combine(root, "board");
        var (code, _, error) = Run(Train(Path.Combine(root, "tb"), "--method", "static", "--final-density", "0.3", "--tensorboard", board));
        Assert.True(code == 0, error);
        string events = Assert.Single(Directory.GetFiles(board, "events.out.tfevents.*"));
        string content = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(events));
        foreach (string tag in new[] { "train/loss", "validation/accuracy", "sparsity/density", "layer_density/fc1.weight", "test/accuracy" })
        {
            Assert.Contains(tag, content, StringComparison.Ordinal);
        }
        Assert.Equal(1, Occurrences(content, "mask_updates/density")); // static: its initial masks only, at step 0
    }

    [Fact]
    public void Tensorboard_logs_the_masks_once_per_step_with_updates_and_the_initial_ones()
    {
        // GraNet prunes and then regenerates at the same steps: one point per step, the state after both.
        string board = Path.Combine(root, "board-granet");
        string run = Path.Combine(root, "tb-granet");
        var (code, _, error) = Run(Train(run, "--method", "granet", "--init-density", "0.5", "--final-density", "0.2", "--update-interval", "2", "--prune-end-epoch", "1", "--tensorboard", board));
        Assert.True(code == 0, error);
        string content = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(Assert.Single(Directory.GetFiles(board, "events.out.tfevents.*"))));
        var steps = File.ReadAllLines(Path.Combine(run, "mask-updates.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64()).ToList();
        Assert.True(steps.Distinct().Count() < steps.Count, "the run should have steps that both prune and regenerate");
        Assert.Equal(steps.Distinct().Count(), Occurrences(content, "mask_updates/density"));
        Assert.Equal(steps.Distinct().Count(), Occurrences(content, "mask_updates/ever_active"));
    }

    [Fact]
    public void Tensorboard_writes_an_epoch_s_mask_updates_with_its_checkpoint_so_a_resumed_epoch_logs_them_once()
    {
        // A run stopped mid-epoch makes that epoch's updates again when resumed: written before the epoch's checkpoint is
        // kept, they were logged twice.
        string board = Path.Combine(root, "board-epoch");
        using var model = TorchSharp.torch.nn.Sequential(("fc", TorchSharp.torch.nn.Linear(4, 2)));
        using var masks = GraNet.Sparsity.Masks.MaskSet.ForModel(model, null);
        var log = new GraNet.Cli.Output.TensorBoardLog(board, masks, newRun: false);
        log.OnMaskUpdate(new GraNet.Sparsity.MaskUpdate(2, GraNet.Sparsity.MaskUpdateKind.Prune, 0.6, null, [], 1));
        log.OnMaskUpdate(new GraNet.Sparsity.MaskUpdate(2, GraNet.Sparsity.MaskUpdateKind.Regenerate, 0.6, 0.5, [], 1));
        log.OnMaskUpdate(new GraNet.Sparsity.MaskUpdate(4, GraNet.Sparsity.MaskUpdateKind.Prune, 0.5, null, [], 1));
        string Content() => string.Concat(Directory.GetFiles(board, "events.out.tfevents.*").Select(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
            return reader.ReadToEnd();
        }));
        Assert.Equal(0, Occurrences(Content(), "mask_updates/density"));
        log.OnEpoch(new GraNet.Training.EpochMetrics(1, 1.5, 0.4, null, 0.1, 2, 100, 0.01, new Dictionary<string, double>()));
        Assert.Equal(2, Occurrences(Content(), "mask_updates/density")); // steps 2 and 4, one point each
    }

    private static int Occurrences(string text, string tag) => (text.Length - text.Replace(tag, string.Empty, StringComparison.Ordinal).Length) / tag.Length;

    [Fact]
    public void Report_of_a_folder_without_metrics_exits_3()
    {
        string empty = Directory.CreateDirectory(Path.Combine(root, "nothing")).FullName;
        var (code, _, error) = Run("report", empty);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {Path.Combine(empty, "metrics.jsonl")}: not found; 'granet report' takes a run folder written by 'granet train'.", error.Trim());
    }

    [Fact]
    public void Resuming_a_finished_run_keeps_its_numbers()
    {
        string run = Path.Combine(root, "done");
        Assert.Equal(0, Run(Train(run)).Code);
        string before = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement.GetProperty("testAccuracy").ToString();
        string[] updatesBefore = File.ReadAllLines(Path.Combine(run, "mask-updates.jsonl"));
        var resumed = Run("train", "--resume", run);
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Contains("all 2 epochs were trained already", resumed.Output, StringComparison.Ordinal);
        string after = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement.GetProperty("testAccuracy").ToString();
        Assert.Equal(before, after);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);
        Assert.Equal(updatesBefore, File.ReadAllLines(Path.Combine(run, "mask-updates.jsonl")));
    }

    [Fact]
    public void List_names_every_model_and_data_set()
    {
        var (code, output, _) = Run("list");
        Assert.Equal(0, code);
        Assert.All(GraNet.Models.ModelRegistry.All, m => Assert.Contains(m.Name, output, StringComparison.Ordinal));
        Assert.Contains("cifar100", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_names_the_program_granet_whatever_runs_it()
    {
        // Under the test runner the executable is testhost; the usage lines must still read "granet".
        var (code, output, _) = Run("train", "--help");
        Assert.Equal(0, code);
        Assert.Contains("granet train [options]", output, StringComparison.Ordinal);
        var (rootCode, rootHelp, _) = Run("--help");
        Assert.Equal(0, rootCode);
        Assert.Contains("granet [command] [options]", rootHelp, StringComparison.Ordinal);
        Assert.Contains("plasticity", rootHelp, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(default: cores, at most 4)", "train")]
    [InlineData("(default: cores, at most 4)", "sweep")]
    [InlineData("(default: cores, at most 4)", "plasticity")]
    [InlineData("(default: the run's own, at most this machine's cores)", "evaluate")]
    [InlineData("(default: the run's own, at most this machine's cores)", "infer")]
    [InlineData("(default: cores, at most 4)", "bench", "sparse")]
    [InlineData("(default 1: the goals are stated for one core)", "bench", "inference")]
    public void Every_command_that_takes_threads_states_their_default_in_its_help(string expected, params string[] command)
    {
        var (code, output, _) = Run([.. command, "--help"]);
        Assert.Equal(0, code);
        string line = output.Split('\n').Single(l => l.TrimStart().StartsWith("--threads ", StringComparison.Ordinal));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ExitCodes.BadArguments, "--model 'alexnet' is not one of", "--model", "alexnet")]
    [InlineData(ExitCodes.BadArguments, "--epochs", "--epochs", "0")]
    [InlineData(ExitCodes.BadArguments, "--final-density", "--method", "gmp", "--final-density", "1.5")]
    [InlineData(ExitCodes.BadArguments, "--prune-end-epoch", "--method", "granet", "--prune-end-epoch", "9")]
    [InlineData(ExitCodes.BadArguments, "--method", "--method", "magic")]
    public void Bad_options_get_one_line_and_exit_code_2(int expected, string mention, params string[] extra)
    {
        var (code, _, error) = Run(Train(Path.Combine(root, "bad"), extra));
        Assert.Equal(expected, code);
        Assert.Contains(mention, error, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(Path.Combine(root, "bad")));
    }

    [Fact]
    public void Missing_data_lists_the_places_looked_at_and_exits_3()
    {
        string empty = Path.Combine(root, "empty");
        var (code, _, error) = Run("train", "--model", "lenet-300-100", "--dataset", "mnist", "--data-dir", empty, "--epochs", "1", "--output", Path.Combine(root, "x"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(empty, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void A_corrupt_checkpoint_exits_3()
    {
        string path = Path.Combine(root, "bad.ckpt");
        File.WriteAllText(path, "garbage");
        var (code, _, error) = Run("evaluate", "--checkpoint", path, "--data-dir", data);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(path, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_takes_no_other_training_options()
    {
        var (code, _, error) = Run("train", "--resume", Path.Combine(root, "any"), "--epochs", "3");
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Contains("--epochs", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_file_with_an_unknown_key_exits_3_and_names_the_file()
    {
        string file = Path.Combine(root, "config.json");
        File.WriteAllText(file, "{ \"training\": { \"epochz\": 3 } }");
        var (code, _, error) = Run(Train(Path.Combine(root, "cfg"), "--config", file));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(file, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_file_sets_values_and_the_command_line_wins()
    {
        string file = Path.Combine(root, "good.json");
        File.WriteAllText(file, "{ \"training\": { \"epochs\": 1, \"seed\": 99, \"stopOnCollapse\": false }, \"sparsity\": { \"method\": \"static\", \"finalDensity\": 0.3 } }");
        string run = Path.Combine(root, "cfg-ok");
        var (code, _, error) = Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--config", file, "--seed", "5", "--threads", "1", "--output", run);
        Assert.True(code == 0, error);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(1, config.RootElement.GetProperty("training").GetProperty("epochs").GetInt32());
        Assert.Equal(5, config.RootElement.GetProperty("training").GetProperty("seed").GetInt32());
        Assert.Equal("static", config.RootElement.GetProperty("sparsity").GetProperty("method").GetString());
    }
}
