using System.CommandLine;
using GraNet.Cli;
using GraNet.Cli.Commands;
using GraNet.Cli.Configuration;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>
/// A configuration file (<c>--config FILE</c>, or the config.json a <c>--resume</c> reads) that is not a valid configuration is
/// refused in one line that names the file, the key and what it takes (exit 3), before anything is derived from its values.
/// </summary>
public class ConfigurationFileTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-config-file");

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>Runs <c>granet train</c> (--model, --dataset and --threads given) with <paramref name="json"/> as its <c>--config</c> file; returns the exit code and standard error (its one line) with the file's path as FILE.</summary>
    private (int Code, string Error) TrainWith(string json, params string[] extra)
    {
        string file = Path.Combine(root, "settings.json");
        File.WriteAllText(file, json);
        string run = Path.Combine(root, "run");
        var (code, _, error) = CliHarness.Run(["train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--threads", "1", "--config", file, "--output", run, .. extra]);
        Assert.False(Directory.Exists(run));
        return (code, error.Trim().Replace(file, "FILE", StringComparison.Ordinal));
    }

    /// <summary>Runs <c>granet train --resume</c> on a run folder whose config.json is <paramref name="json"/>; returns the exit code and standard error with the file's path as FILE.</summary>
    private (int Code, string Error) ResumeWith(string json, params string[] extra)
    {
        string run = Directory.CreateDirectory(Path.Combine(root, "saved")).FullName;
        string file = Path.Combine(run, "config.json");
        File.WriteAllText(file, json);
        var (code, _, error) = CliHarness.Run(["train", "--resume", run, .. extra]);
        Assert.Equal(json, File.ReadAllText(file));
        return (code, error.Trim().Replace(file, "FILE", StringComparison.Ordinal));
    }

    private const string Fix = "; fix the file (keys as in a run's config.json).";

    [Theory]
    [InlineData("{ \"training\": null }", "training must not be null (leave the key out for its default)")]
    [InlineData("{ \"sparsity\": null }", "sparsity must not be null (leave the key out for its default)")]
    [InlineData("{ \"training\": { \"milestones\": null } }", "training.milestones must not be null (leave the key out for its default)")]
    [InlineData("{ \"model\": null }", "model must not be null (leave the key out for its default)")]
    [InlineData("{ \"training\": { \"milestones\": [5, null] } }", "training.milestones[1] null must be a whole number")]
    [InlineData("{ \"threads\": null }", "threads null must be a whole number")]
    public void A_null_where_a_setting_needs_a_value_is_refused_by_key(string json, string what)
    {
        var (code, error) = TrainWith(json, "--epochs", "1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: FILE: {what}{Fix}", error);
    }

    [Theory]
    [InlineData("{ \"training\": { \"epochs\": 1 }, \"training\": { \"epochs\": 2 } }", "training is given twice (keep one)")]
    [InlineData("{ \"training\": { \"epochs\": 1, \"seed\": 3, \"epochs\": 2 } }", "training.epochs is given twice (keep one)")]
    public void A_key_given_twice_is_refused_rather_than_one_of_them_winning(string json, string what)
    {
        var (code, error) = TrainWith(json, "--epochs", "1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: FILE: {what}{Fix}", error);
    }

    [Theory]
    [InlineData("{ \"sparsity\": { \"method\": 3 } }", "sparsity.method 3 must be one of: granet, granet-uniform, gmp, gmp-uniform, rigl, set, snfs, static, dense")]
    [InlineData("{ \"sparsity\": { \"method\": \"RigL\" } }", "sparsity.method \"RigL\" must be one of: granet, granet-uniform, gmp, gmp-uniform, rigl, set, snfs, static, dense")]
    [InlineData("{ \"training\": { \"optimizer\": 1 } }", "training.optimizer 1 must be one of: sgd, adam")]
    [InlineData("{ \"training\": { \"epochs\": 1e10 } }", "training.epochs 1e10 must be a whole number from -2147483648 to 2147483647")]
    [InlineData("{ \"evaluationBatchSize\": 3000000000 }", "evaluationBatchSize 3000000000 must be a whole number from -2147483648 to 2147483647")]
    [InlineData("{ \"training\": { \"learningRate\": 1e400 } }", "training.learningRate 1e400 is too large a number")]
    [InlineData("{ \"training\": [] }", "training [] must be an object ({ \"key\": value, … })")]
    [InlineData("{ \"sparsity\": \"granet\" }", "sparsity \"granet\" must be an object ({ \"key\": value, … })")]
    [InlineData("{ \"training\": { \"milestones\": 5 } }", "training.milestones 5 must be a list")]
    [InlineData("{ \"model\": 5 }", "model 5 must be a string")]
    public void A_value_of_the_wrong_kind_is_named_with_the_value_given(string json, string what)
    {
        var (code, error) = TrainWith(json, "--epochs", "1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: FILE: {what}{Fix}", error);
    }

    [Theory]
    [InlineData("{ \"epochs\": 3 }", "epochs is not a configuration key (did you mean training.epochs?)")]
    [InlineData("{ \"training\": { \"method\": \"rigl\" } }", "training.method is not a configuration key (did you mean sparsity.method?)")]
    [InlineData("{ \"training\": { \"Epochs\": 3 } }", "training.Epochs is not a configuration key (did you mean training.epochs?)")]
    [InlineData("{ \"foo\": 1 }", "foo is not a configuration key (the top-level keys: model, dataset, dataDir, threads, cpuKernels, preset, tensorBoard, evaluationBatchSize, training, sparsity)")]
    public void A_key_in_the_wrong_place_or_case_points_to_the_key_meant(string json, string what)
    {
        var (code, error) = TrainWith(json, "--epochs", "1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: FILE: {what}{Fix}", error);
    }

    [Theory]
    [InlineData("[]", "the configuration must be a JSON object such as { \"training\": { \"epochs\": 5 } }, not a list")]
    [InlineData("null", "the configuration must be a JSON object such as { \"training\": { \"epochs\": 5 } }, not null")]
    [InlineData(" \n", "the file is empty (a configuration is a JSON object such as { \"training\": { \"epochs\": 5 } })")]
    [InlineData("{ \"training\": {", "not valid JSON at line 1, column 16: the file ends before a '}' or ']' closes an object or list")]
    [InlineData("{\n  \"training\": { \"epochs\": 2, }\n}", "not valid JSON at line 2, column 30: a comma before '}' or ']' has no value after it")]
    [InlineData("{\n  // two epochs\n  \"training\": { \"epochs\": 2 }\n}", "not valid JSON at line 2, column 3: JSON has no comments")]
    [InlineData("{ training: 1 }", "not valid JSON at line 1, column 3: 't' is an invalid start of a property name. Expected a '\"'")]
    public void A_file_that_is_not_a_json_object_is_refused_by_line_and_column(string json, string what)
    {
        var (code, error) = TrainWith(json, "--epochs", "1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: FILE: {what}{Fix}", error);
        var (resumed, resumeError) = ResumeWith(json);
        Assert.Equal(ExitCodes.BadInput, resumed);
        Assert.Equal($"granet: FILE: {what}{Fix}", resumeError);
    }

    /// <summary>The configuration <c>granet train</c> would run with <paramref name="json"/> as its <c>--config</c> file (nothing is trained).</summary>
    private RunConfiguration Resolve(string json, params string[] args)
    {
        string file = Path.Combine(root, "settings.json");
        File.WriteAllText(file, json);
        var options = new TrainOptions();
        var command = new Command("train");
        options.AddTo(command);
        return options.Resolve(command.Parse(["--config", file, "--output", Path.Combine(root, "run"), .. args]), refuseUnused: true).Configuration;
    }

    [Theory]
    [InlineData("{ \"training\": { \"epochs\": 0 } }", "training.epochs 0 must be at least 1; fix the file.", "--epochs", "1")]
    [InlineData("{ \"training\": { \"epochs\": 0 } }", "training.epochs 0 must be at least 1; fix the file.", "--method", "granet", "--epochs", "2")]
    [InlineData("{ \"training\": { \"epochs\": -3 } }", "training.epochs -3 must be at least 1; fix the file.", "--epochs", "2")]
    [InlineData("{ \"threads\": 0 }", "threads 0 must be at least 1; fix the file.")]
    [InlineData("{ \"evaluationBatchSize\": 0 }", "evaluationBatchSize 0 must be at least 1; fix the file.")]
    [InlineData("{ \"training\": { \"learningRate\": -1 } }", "training.learningRate -1 must be a positive number; fix the file.", "--lr", "0.1")]
    [InlineData("{ \"sparsity\": { \"finalDensity\": 2 } }", "sparsity.finalDensity 2 must be in (0, 1]; fix the file.", "--method", "rigl", "--final-density", "0.1")]
    [InlineData("{ \"training\": { \"labelSmoothing\": 2, \"warmupEpochs\": 25 } }", "training.labelSmoothing 2 must be in [0, 1); fix the file.", "--epochs", "40", "--label-smoothing", "0.1")]
    [InlineData("{ \"training\": { \"milestones\": [30] } }", "training.milestones 30 must lie in 1..20; fix the file.", "--epochs", "40")]
    [InlineData("{ \"training\": { \"momentum\": 0, \"nesterov\": true } }", "training.nesterov true needs a training.momentum above 0; fix the file.")]
    [InlineData("{ \"sparsity\": { \"pruneEndEpoch\": -1 } }", "sparsity.pruneEndEpoch -1 must come after sparsity.pruneStartEpoch 0; fix the file.", "--method", "granet", "--epochs", "2")]
    [InlineData("{ \"sparsity\": { \"pruneStartEpoch\": 5, \"pruneEndEpoch\": 3 } }", "sparsity.pruneEndEpoch 3 must come after sparsity.pruneStartEpoch 5; fix the file.", "--epochs", "2")]
    [InlineData("{ \"sparsity\": { \"method\": \"granet\", \"pruneEndEpoch\": 30 } }", "sparsity.pruneEndEpoch 30 must not exceed training.epochs 20; fix the file.", "--epochs", "60")]
    [InlineData("{ \"sparsity\": { \"method\": \"gmp\", \"growth\": \"random\" } }", "sparsity.growth random has no effect with sparsity.method gmp; drop it from the file.")]
    [InlineData("{ \"model\": \"lenet6\" }", "model \"lenet6\" is not one of: lenet-300-100, lenet5-caffe, vgg16, vgg19, resnet18, resnet34, resnet50, resnet20, resnet32 (see 'granet list'); fix the file.")]
    [InlineData("{ \"preset\": \"paper\" }", "preset \"paper\" is not one of: paper-cifar, p1, quick (see 'granet list'); fix the file.")]
    [InlineData("{ \"tensorBoard\": \"\" }", "tensorBoard \"\" names no folder; give one, or null; fix the file.")]
    public void A_value_out_of_range_is_the_files_before_anything_is_derived_from_it_and_whatever_option_replaces_it(string json, string what, params string[] extra)
    {
        var (code, error) = TrainWith(json, extra);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: FILE: {what}", error);
    }

    [Theory]
    [InlineData("{ \"training\": { \"warmupEpochs\": 25 } }", "--config key training.warmupEpochs 25 must be in [0, --epochs).", "--epochs", "1")]
    [InlineData("{ \"sparsity\": { \"growth\": \"random\" } }", "--config key sparsity.growth random has no effect with --method gmp; drop it.", "--method", "gmp", "--epochs", "1")]
    [InlineData("{ \"training\": { \"epochs\": 5 }, \"sparsity\": { \"method\": \"granet\" } }", "--prune-end-epoch 10 must not exceed --config key training.epochs 5.")]
    [InlineData("{ \"training\": { \"learningRate\": 0.5 } }", "--lr 0 must be a positive number.", "--lr", "0")]
    public void A_rule_an_option_on_the_command_line_breaks_names_the_option_and_the_files_key(string json, string what, params string[] extra)
    {
        var (code, error) = TrainWith(json, extra);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal($"granet: {what}", error);
    }

    [Fact]
    public void An_option_on_the_command_line_still_settles_a_rule_between_the_files_value_and_a_default()
    {
        // The file's warm-up is valid for the 40 epochs given, and plain SGD needs --nesterov false with the file's momentum 0.
        var warm = Resolve("{ \"training\": { \"warmupEpochs\": 25 } }", "--epochs", "40");
        Assert.Equal((40, 25.0), (warm.Training.Epochs, warm.Training.WarmupEpochs));
        var plain = Resolve("{ \"training\": { \"momentum\": 0 } }", "--nesterov", "false");
        Assert.Equal((0.0, false), (plain.Training.Momentum, plain.Training.Nesterov));
        // --epochs scales a valid window of the file's with the file's epochs.
        var scaled = Resolve("{ \"training\": { \"epochs\": 10 }, \"sparsity\": { \"method\": \"gmp\", \"pruneEndEpoch\": 5 } }", "--epochs", "4");
        Assert.Equal(2.0, scaled.Sparsity.PruneEndEpoch);
    }

    [Fact]
    public void A_file_larger_than_any_configuration_is_refused_before_it_is_read_whole()
    {
        // --config /dev/zero (or a data file given by mistake) was read whole: out of memory, an internal error (exit 70).
        var (code, error) = TrainWith($"{{ \"training\": {{ \"epochs\": 1 }}{new string(' ', 1 << 20)}, \"unknown\": 1 }}");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("granet: FILE: holds more than 1 MiB, which no configuration does (a run's config.json is about 1 kB); give the path of a JSON configuration file (e.g. a run's config.json).", error);
        // A resumed run's config.json that large: put back the run's own, or let the resume write it from the checkpoint.
        var (resumed, resumeError) = ResumeWith(new string(' ', (1 << 20) + 1));
        Assert.Equal(ExitCodes.BadInput, resumed);
        Assert.Equal("granet: FILE: holds more than 1 MiB, which no configuration does (a run's config.json is about 1 kB); put back the run's own config.json.", resumeError);
        // Up to that size, a file of any encoding its byte order mark names is read.
        Assert.Equal(5, Resolve("\uFEFF{ \"training\": { \"epochs\": 5 } }").Training.Epochs);
    }

    [Fact]
    public void A_data_folder_the_file_names_is_refused_as_the_files_key_not_as_an_option_never_given()
    {
        // A run's config.json given as --config names the folder that run read its data from, which may be gone since.
        string gone = Path.Combine(root, "gone");
        string json = $"{{ \"dataDir\": {System.Text.Json.JsonSerializer.Serialize(gone)} }}";
        var (code, error) = TrainWith(json);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: --config key dataDir {gone} does not exist; give the folder that holds the fashion-mnist files, or drop dataDir from FILE to search the usual places.", error);
        // --data-dir replaces the file's folder: a missing one is then the option's.
        string typo = Path.Combine(root, "typo");
        var (given, givenError) = TrainWith(json, "--data-dir", typo);
        Assert.Equal(ExitCodes.BadInput, given);
        Assert.Equal($"granet: --data-dir {typo} does not exist; give the folder that holds the fashion-mnist files, or drop --data-dir to search the usual places.", givenError);
    }

    [Theory]
    [InlineData("sweep", "--methods", "dense", "--seeds", "1")]
    [InlineData("sweep", "--methods", "dense", "--seeds", "1", "--jobs", "2")]
    [InlineData("plasticity", "--epochs", "2", "--at-epochs", "1")]
    [InlineData("plasticity", "--epochs", "2", "--at-epochs", "1", "--seeds", "2")]
    public void A_study_refuses_a_data_folder_the_file_names_as_the_files_key_too(params string[] command)
    {
        // The study's runs load the data in its own process or in a child process of the sweep: each names the file's key.
        string file = Path.Combine(root, "settings.json");
        string gone = Path.Combine(root, "gone");
        File.WriteAllText(file, $"{{ \"dataDir\": {System.Text.Json.JsonSerializer.Serialize(gone)} }}");
        var (code, _, error) = CliHarness.Run([command[0], "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--threads", "1", "--config", file, "--output", Path.Combine(root, "study"), .. command[1..]]);
        Assert.Equal(ExitCodes.BadInput, code);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"--config key dataDir {gone} does not exist; give the folder that holds the fashion-mnist files, or drop dataDir from {file} to search the usual places", line, StringComparison.Ordinal);
    }

    [Fact]
    public void The_preset_given_on_the_command_line_is_the_one_recorded()
    {
        var c = Resolve("{ \"preset\": \"quick\" }", "--preset", "p1");
        Assert.Equal("p1", c.Preset);
    }

    [Theory]
    [InlineData("\"evaluationBatchSize\": 1000", "\"evaluationBatchSize\": 0", "evaluationBatchSize 0 must be at least 1; fix the file.")]
    [InlineData("\"threads\": 1", "\"threads\": 0", "threads 0 must be at least 1; fix the file.", "--threads", "1")]
    [InlineData("\"epochs\": 20", "\"epochs\": 0", "training.epochs 0 must be at least 1; fix the file.")]
    [InlineData("\"finalDensity\": 0.05", "\"finalDensity\": 0", "sparsity.finalDensity 0 must be in (0, 1]; fix the file.")]
    public void A_resumed_runs_config_json_edited_out_of_range_is_named_by_file_and_key(string saved, string edited, string what, params string[] extra)
    {
        string json = ConfigurationJson.Serialize(new RunConfiguration { Model = "lenet-300-100", Threads = 1 });
        Assert.Contains(saved, json, StringComparison.Ordinal);
        var (code, error) = ResumeWith(json.Replace(saved, edited, StringComparison.Ordinal), extra);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: FILE: {what}", error);
    }
}
