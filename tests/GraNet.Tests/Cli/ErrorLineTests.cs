using System.Text.RegularExpressions;
using GraNet.Cli;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>Bad input gives one line on standard error, naming the input, and an exit code; nothing on standard output.</summary>
public class ErrorLineTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-errors");

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static (int Code, string[] Lines) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Runner.Run(args, output, error);
        return (code, error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("evaluate", "--checkpoint")]
    [InlineData("infer", "--model")]
    public void A_value_outside_the_allowed_list_is_one_line_naming_the_choices_as_the_other_lists_do(string command, string file)
    {
        // Worded as --method, --optimizer or --schedule are, not as System.CommandLine's "Argument 'foo' not recognized. Must be one of: 'sparse' 'dense'".
        var (code, lines) = Run(command, file, "x.ckpt", "--engine", "foo");
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("granet: --engine 'foo' is not one of: sparse, dense. (see 'granet --help' or 'granet COMMAND --help').", Assert.Single(lines));
    }

    [Theory]
    [InlineData("--dense-first", "train", "--dense-first", "maybe")]
    [InlineData("--dense-first", "train", "--dense-first=maybe")]
    [InlineData("--nesterov", "train", "--nesterov", "yes")]
    [InlineData("--augment", "train", "--epochs", "1", "--augment", "on")]
    [InlineData("--classifier-rule", "train", "--classifier-rule", "1")]
    [InlineData("--classifier-rule", "sweep", "--classifier-rule", "no")]
    [InlineData("--force", "export", "--checkpoint", "x.ckpt", "--output", "m.gsm", "--force", "maybe")]
    [InlineData("--report-only", "sweep", "--report-only", "maybe")]
    public void A_true_false_option_given_another_value_is_named_with_the_values_it_takes(string option, params string[] args)
    {
        // Not "Unrecognized command or argument 'maybe'", which names neither the option nor what it takes.
        var (code, lines) = Run(args);
        Assert.Equal(ExitCodes.BadArguments, code);
        string value = args[^1].Contains('=', StringComparison.Ordinal) ? args[^1].Split('=')[1] : args[^1];
        Assert.Equal($"granet: {option} '{value}' is not one of: true, false (or give {option} alone for true). (see 'granet --help' or 'granet COMMAND --help').", Assert.Single(lines));
    }

    [Theory]
    [InlineData("granet: --lr 'abc' is not a number. (see 'granet --help' or 'granet COMMAND --help').", "train", "--lr", "abc")]
    [InlineData("granet: --lr '0,1' is not a number: write decimals with a point (0.1). (see 'granet --help' or 'granet COMMAND --help').", "train", "--lr", "0,1")]
    [InlineData("granet: --prune-end-epoch '0,5' is not a number: write decimals with a point (0.5). (see 'granet --help' or 'granet COMMAND --help').", "sweep", "--prune-end-epoch", "0,5")]
    [InlineData("granet: --validation '1,000' is not a number: write decimals with a point (1.000). (see 'granet --help' or 'granet COMMAND --help').", "train", "--validation", "1,000")]
    [InlineData("granet: --epochs '1.5' is not a whole number. (see 'granet --help' or 'granet COMMAND --help').", "train", "--epochs", "1.5")]
    [InlineData("granet: --epochs '99999999999' is too large (at most 2147483647). (see 'granet --help' or 'granet COMMAND --help').", "train", "--epochs", "99999999999")]
    [InlineData("granet: --seeds '99999999999' is too large (at most 2147483647). (see 'granet --help' or 'granet COMMAND --help').", "sweep", "--seeds", "99999999999")]
    [InlineData("granet: --seeds '99999999999' is too large (at most 2147483647). (see 'granet --help' or 'granet COMMAND --help').", "plasticity", "--at-epochs", "1", "--seeds", "99999999999")]
    [InlineData("granet: --batch-size '-99999999999' is far below any value the option takes. (see 'granet --help' or 'granet COMMAND --help').", "evaluate", "--checkpoint", "x.ckpt", "--batch-size", "-99999999999")]
    [InlineData("granet: --milestones: '99999999999' is too large (at most 2147483647).", "train", "--milestones", "10,99999999999")]
    [InlineData("granet: --schedule 'cos' is not one of: multistep, cosine, constant. (see 'granet --help' or 'granet COMMAND --help').", "train", "--schedule", "cos")]
    [InlineData("granet: --optimizer 'foo' is not one of: sgd, adam. (see 'granet --help' or 'granet COMMAND --help').", "train", "--optimizer", "foo")]
    [InlineData("granet: --model 'resnet9' is not one of: lenet-300-100, lenet5-caffe, vgg16, vgg19, resnet18, resnet34, resnet50, resnet20, resnet32. (see 'granet --help' or 'granet COMMAND --help').", "train", "--model", "resnet9")]
    [InlineData("granet: --dataset 'fashion' is not one of: fashion-mnist, mnist, cifar10, cifar100. (see 'granet --help' or 'granet COMMAND --help').", "train", "--dataset", "fashion")]
    [InlineData("granet: --preset 'fast' is not one of: paper-cifar, p1, quick. (see 'granet --help' or 'granet COMMAND --help').", "train", "--preset", "fast")]
    [InlineData("granet: --model 'alexnet' is not one of: lenet-300-100, lenet5-caffe, vgg16, vgg19, resnet18, resnet34, resnet50, resnet20, resnet32. (see 'granet --help' or 'granet COMMAND --help').", "sweep", "--model", "alexnet")]
    [InlineData("granet: --dataset 'svhn' is not one of: fashion-mnist, mnist, cifar10, cifar100. (see 'granet --help' or 'granet COMMAND --help').", "plasticity", "--at-epochs", "1", "--dataset", "svhn")]
    [InlineData("granet: --dataset 'fashion' is not one of: fashion-mnist, mnist, cifar10, cifar100. (see 'granet --help' or 'granet COMMAND --help').", "evaluate", "--checkpoint", "x.ckpt", "--dataset", "fashion")]
    [InlineData("granet: --model 'alexnet' is not one of: lenet-300-100, lenet5-caffe, vgg16, vgg19, resnet18, resnet34, resnet50, resnet20, resnet32. (see 'granet --help' or 'granet COMMAND --help').", "bench", "sparse", "--model", "alexnet")]
    [InlineData("granet: --dataset 'svhn' is not one of: fashion-mnist, mnist, cifar10, cifar100. (see 'granet --help' or 'granet COMMAND --help').", "bench", "sparse", "--dataset", "svhn")]
    [InlineData("granet: --architecture 'alexnet' is not one of: lenet-300-100, lenet5-caffe, vgg16, vgg19, resnet18, resnet34, resnet50, resnet20, resnet32. (see 'granet --help' or 'granet COMMAND --help').", "bench", "inference", "--architecture", "alexnet")]
    [InlineData("granet: --dataset 'svhn' is not one of: fashion-mnist, mnist, cifar10, cifar100. (see 'granet --help' or 'granet COMMAND --help').", "bench", "data", "--dataset", "svhn")]
    [InlineData("granet: --output is empty; give a value, or leave the option out.", "train", "--output", "")]
    [InlineData("granet: --data-dir is empty; give a value, or leave the option out.", "sweep", "--data-dir", " ")]
    [InlineData("granet: --output is empty; give the compact model file to write, e.g. model.gsm.", "export", "--checkpoint", "C", "--output", "")]
    [InlineData("granet: --checkpoint is empty; give a .ckpt file from 'granet train' (last.ckpt or best.ckpt).", "export", "--checkpoint", " ", "--output", "m.gsm")]
    [InlineData("granet: --checkpoint is empty; give a .ckpt file from 'granet train' or a model from 'granet export'.", "evaluate", "--checkpoint", "")]
    [InlineData("granet: --data-dir is empty; give a value, or leave the option out.", "evaluate", "--checkpoint", "x.ckpt", "--data-dir", "")]
    [InlineData("granet: --dataset is empty; give a value, or leave the option out.", "evaluate", "--checkpoint", "x.ckpt", "--dataset", "")]
    [InlineData("granet: --model is empty; give a .ckpt file from 'granet train' or a model from 'granet export'.", "infer", "--model", "")]
    [InlineData("granet: --model is empty; give a .ckpt file from 'granet train' or a model from 'granet export', or leave the option out to time --architecture.", "bench", "inference", "--model", "")]
    [InlineData("granet: --data-dir is empty; give a value, or leave the option out.", "bench", "data", "--data-dir", "")]
    [InlineData("granet: RUN_DIR is empty; give the folder of a run written by 'granet train'.", "report", "")]
    [InlineData("granet: --from is empty; give the base run of an earlier plasticity study (STUDY/base), or leave the option out.", "plasticity", "--from", "", "--at-epochs", "1")]
    [InlineData("granet: --milestones '10,,15' has an empty entry; give values separated by single commas, such as 10,15.", "train", "--milestones", "10,,15")]
    [InlineData("granet: --milestones: 'x' is not a whole number.", "train", "--milestones", "10,x")]
    [InlineData("granet: --prune-rates '0.2,0.9,' has an empty entry; give values separated by single commas, such as 0.2,0.5,0.9.", "plasticity", "--at-epochs", "5", "--prune-rates", "0.2,0.9,")]
    [InlineData("granet: --prune-rates: '1.5' is not a rate in (0, 1).", "plasticity", "--at-epochs", "5", "--prune-rates", "0.2,1.5")]
    [InlineData("granet: --start 'spares' is not one of: dense, sparse. (see 'granet --help' or 'granet COMMAND --help').", "plasticity", "--at-epochs", "5", "--start", "spares")]
    [InlineData("granet: --regenerate 'grad' is not one of: none, gradient, both. (see 'granet --help' or 'granet COMMAND --help').", "plasticity", "--at-epochs", "5", "--regenerate", "grad")]
    [InlineData("granet: --final-densities has no effect with --methods dense (dense trains at density 1); drop it, or add a sparse method.", "sweep", "--methods", "dense", "--final-densities", "0.1")]
    [InlineData("granet: --final-densities gives 0.1 more than once; give each value once.", "sweep", "--methods", "set", "--final-densities", "0.1,0.10")]
    [InlineData("granet: --methods gives set more than once; give each value once.", "sweep", "--methods", "set,dense,set")]
    [InlineData("granet: --init-densities applies to granet and granet-uniform only (in a sweep gmp starts dense, as in the paper, and the others at their final density), and --methods has neither; drop it.", "sweep", "--methods", "gmp", "--init-densities", "0.5")]
    [InlineData("granet: --regrowth-rate 0 must be at least 0.005, the rate its cosine decay ends at (--config key sparsity.regrowthRateMin); for pruning without regeneration use gmp.", "train", "--method", "granet", "--regrowth-rate", "0", "--epochs", "1", "--prune-end-epoch", "1")]
    [InlineData("granet: --seeds 5 and --replacements 2147483647 together exceed 2147483647 seeds; lower them (--replacements 0 replaces no run).", "sweep", "--methods", "dense", "--seeds", "5", "--replacements", "2147483647", "--seed", "0")]
    [InlineData("granet: --seed 2147483646 with --seeds 2 and 3 replacement(s) would run seeds up to 2147483650, past the largest seed 2147483647; give --seed 2147483643 or lower.", "sweep", "--methods", "dense", "--seeds", "2", "--seed", "2147483646")]
    [InlineData("granet: --seed 2147483647 with --seeds 1 and 1 replacement(s) would run seeds up to 2147483648, past the largest seed 2147483647; give --seed 2147483646 or lower.", "plasticity", "--at-epochs", "1", "--seeds", "1", "--replacements", "1", "--seed", "2147483647")]
    [InlineData("granet: --epochs 1 leaves no pruning point: a study prunes checkpoints before the end of the base run; give --epochs 2 or more.", "plasticity", "--epochs", "1", "--at-epochs", "1")]
    public void A_value_of_the_wrong_kind_is_named_by_option_and_kind_not_by_dotnet_type(string expected, params string[] args)
    {
        var (code, lines) = Run(args);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal(expected, Assert.Single(lines));
    }

    [Theory]
    [InlineData("granet: unknown option --epoch for 'granet train'; did you mean --epochs? (see 'granet --help' or 'granet COMMAND --help').", "train", "--epoch", "1")]
    [InlineData("granet: unknown option --final-densites for 'granet sweep'; did you mean --final-densities? (see 'granet --help' or 'granet COMMAND --help').", "sweep", "--final-densites", "0.1")]
    [InlineData("granet: unknown option --verison for 'granet'; did you mean --version? (see 'granet --help' or 'granet COMMAND --help').", "--verison")]
    [InlineData("granet: unknown option --foo for 'granet train'. (see 'granet --help' or 'granet COMMAND --help').", "train", "--foo")]
    [InlineData("granet: unknown option --threads for 'granet bench data'. (see 'granet --help' or 'granet COMMAND --help').", "bench", "data", "--threads", "1")]
    [InlineData("granet: unknown option --methods for 'granet bench sparse'; did you mean --method? (see 'granet --help' or 'granet COMMAND --help').", "bench", "sparse", "--methods", "granet")]
    [InlineData("granet: unknown command 'trian'; did you mean train? (see 'granet --help' or 'granet COMMAND --help').", "trian", "--epochs", "1")]
    [InlineData("granet: unknown command 'frobnicate'. (see 'granet --help' or 'granet COMMAND --help').", "frobnicate")]
    [InlineData("granet: unknown command 'sparsee' for 'granet bench'; did you mean sparse? (see 'granet --help' or 'granet COMMAND --help').", "bench", "sparsee")]
    [InlineData("granet: unexpected argument '2' for 'granet train', which takes options only, each with one value; drop it (or quote a value that holds spaces). (see 'granet --help' or 'granet COMMAND --help').", "train", "--epochs", "1", "2")]
    [InlineData("granet: unexpected argument 'extra' for 'granet list', which takes options only, each with one value; drop it (or quote a value that holds spaces). (see 'granet --help' or 'granet COMMAND --help').", "list", "extra")]
    [InlineData("granet: unexpected argument 'b' for 'granet report', which takes its RUN_DIR and options, each with one value; drop it (or quote a value that holds spaces). (see 'granet --help' or 'granet COMMAND --help').", "report", "a", "b")]
    public void A_mistyped_command_or_option_is_one_message_with_the_nearest_name(string expected, params string[] args)
    {
        var (code, lines) = Run(args);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal(expected, Assert.Single(lines));
    }

    [Theory]
    [InlineData("granet: 'granet' needs a command: train, evaluate, infer, export, list, bench, sweep, report, plasticity. (see 'granet --help' or 'granet COMMAND --help').")]
    [InlineData("granet: 'granet bench' needs a command: sparse, inference, data. (see 'granet --help' or 'granet COMMAND --help').", "bench")]
    [InlineData("granet: 'granet report' needs RUN_DIR: a run folder written by 'granet train'. (see 'granet --help' or 'granet COMMAND --help').", "report")]
    [InlineData("granet: 'granet evaluate' needs --checkpoint: a .ckpt file from 'granet train' or a model from 'granet export'. (see 'granet --help' or 'granet COMMAND --help').", "evaluate", "--threads", "1")]
    [InlineData("granet: 'granet infer' needs --model: a .ckpt file from 'granet train' or a model from 'granet export'. (see 'granet --help' or 'granet COMMAND --help').", "infer")]
    [InlineData("granet: 'granet export' needs --output: the compact model file to write (a new file, unless --force). (see 'granet --help' or 'granet COMMAND --help').", "export", "--checkpoint", "x.ckpt")]
    [InlineData("granet: 'granet plasticity' needs --at-epochs: checkpoint epochs to prune at, e.g. 5,10,15. (see 'granet --help' or 'granet COMMAND --help').", "plasticity", "--epochs", "2")]
    // An option without its value: named with what it takes, not "Required argument missing for option: '--epochs'".
    [InlineData("granet: --epochs needs a value: training epochs (default 20). (see 'granet --help' or 'granet COMMAND --help').", "train", "--epochs")]
    [InlineData("granet: -o needs a value: run folder (default: a new folder under runs/). (see 'granet --help' or 'granet COMMAND --help').", "train", "-o")]
    public void A_missing_command_argument_or_required_option_is_named_with_what_to_give(string expected, params string[] args)
    {
        // Not System.CommandLine's "Required command was not provided", "Required argument missing for command: 'report'" or
        // "Option '--output' is required", which leave out the commands to choose from and what the option takes.
        var (code, lines) = Run(args);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal(expected, Assert.Single(lines));
    }

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("--epoch", "--epochs", 1)]
    [InlineData("", "abc", 3)]
    [InlineData("trian", "train", 2)]
    public void The_edit_distance_counts_insertions_deletions_and_substitutions(string a, string b, int expected)
    {
        Assert.Equal(expected, Runner.EditDistance(a, b));
        Assert.Equal(expected, Runner.EditDistance(b, a));
    }

    [Fact]
    public void A_thread_count_of_zero_is_one_line_naming_the_option()
    {
        var (code, lines) = Run("bench", "sparse", "--threads", "0", "--steps", "1");
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("granet: --threads 0 must be at least 1.", Assert.Single(lines));
    }

    [Fact]
    public void Evaluate_and_infer_refuse_more_threads_than_cores_as_train_does()
    {
        string many = (Environment.ProcessorCount + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var train = Run("train", "--threads", many, "--epochs", "1", "--output", Path.Combine(root, "run"));
        Assert.Equal(ExitCodes.BadArguments, train.Code);
        Assert.Equal($"granet: --threads {many} exceeds the {Environment.ProcessorCount} cores of this machine (more threads than cores only wait for each other); give at most {Environment.ProcessorCount}.", Assert.Single(train.Lines));
        foreach (var (command, option) in new[] { ("evaluate", "--checkpoint"), ("infer", "--model") })
        {
            // Refused before the model file is looked at (it does not exist).
            var (code, lines) = Run(command, option, Path.Combine(root, "x.ckpt"), "--threads", many);
            Assert.Equal(ExitCodes.BadArguments, code);
            Assert.Equal(train.Lines, lines);
            (code, lines) = Run(command, option, Path.Combine(root, "x.ckpt"), "--threads", "0");
            Assert.Equal(ExitCodes.BadArguments, code);
            Assert.Equal("granet: --threads 0 must be at least 1.", Assert.Single(lines));
        }
    }

    [Fact]
    public void A_sweep_refuses_more_jobs_than_cores()
    {
        int cores = Environment.ProcessorCount;
        string folder = Path.Combine(root, "sweep");
        var (code, lines) = Run("sweep", "--methods", "dense", "--seeds", "1", "--epochs", "1", "--jobs", $"{cores + 1}", "--output", folder);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal($"granet: --jobs {cores + 1} exceeds the {cores} cores of this machine (each job trains a cell in a process of its own, with at least one thread); give at most {cores}.", Assert.Single(lines));
        Assert.False(Directory.Exists(folder));
        if (cores >= 2)
        {
            // Within the cores as jobs, not as jobs × threads.
            (code, lines) = Run("sweep", "--methods", "dense", "--seeds", "1", "--epochs", "1", "--jobs", "2", "--threads", $"{cores}", "--output", folder);
            Assert.Equal(ExitCodes.BadArguments, code);
            Assert.Equal($"granet: --jobs 2 with {cores} threads each needs {2 * cores} cores; this machine has {cores}: give --threads {cores / 2}, or fewer --jobs.", Assert.Single(lines));
            Assert.False(Directory.Exists(folder));
            // The same count from a --config file: refused alike, naming the file's key.
            string file = Path.Combine(root, "threads.json");
            File.WriteAllText(file, $"{{ \"threads\": {cores} }}");
            (code, lines) = Run("sweep", "--methods", "dense", "--seeds", "1", "--epochs", "1", "--jobs", "2", "--config", file, "--output", folder);
            Assert.Equal(ExitCodes.BadArguments, code);
            Assert.Equal($"granet: --jobs 2 with {cores} threads each (\"threads\" of {file}) needs {2 * cores} cores; this machine has {cores}: give \"threads\": {cores / 2} in {file} (or --threads {cores / 2}), or fewer --jobs.", Assert.Single(lines));
            Assert.False(Directory.Exists(folder));
        }
    }

    [Fact]
    public void A_library_option_error_names_the_flags_not_the_properties()
    {
        string run = Path.Combine(root, "gmp");
        var (code, lines) = Run("train", "--method", "gmp", "--init-density", "0.5", "--final-density", "0.8", "--epochs", "1", "--prune-end-epoch", "1", "--threads", "1", "--output", run);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("granet: --final-density 0.8 must not exceed --init-density 0.5 for a pruning method.", Assert.Single(lines));
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void An_option_only_a_config_file_sets_is_named_by_its_key()
    {
        string file = Path.Combine(root, "min.json");
        File.WriteAllText(file, "{ \"sparsity\": { \"method\": \"granet\", \"regrowthRateMin\": 0.9 } }");
        var (code, lines) = Run("train", "--config", file, "--regrowth-rate", "0.5", "--epochs", "1", "--prune-end-epoch", "1", "--threads", "1", "--output", Path.Combine(root, "min"));
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("granet: --config key sparsity.regrowthRateMin 0.9 must be in [0, --regrowth-rate].", Assert.Single(lines));

        // Refused later, once the model is known (a density that rounds to no weight): still named by its key.
        File.WriteAllText(file, "{ \"sparsity\": { \"method\": \"granet\", \"finalDensity\": 1e-300 } }");
        string data = Directory.CreateDirectory(Path.Combine(root, "tiny")).FullName;
        TestFiles.WriteTinyMnist(data);
        (code, lines) = Run("train", "--config", file, "--model", "lenet-300-100", "--data-dir", data, "--epochs", "1", "--prune-end-epoch", "1", "--update-interval", "2", "--threads", "1", "--output", Path.Combine(root, "tiny-run"));
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("granet: --config key sparsity.finalDensity 1e-300 keeps no weight of the model's 266,200 (it rounds to 0 weights); raise it.", Assert.Single(lines));
        Assert.False(Directory.Exists(Path.Combine(root, "tiny-run")));
    }

    [Theory]
    [InlineData("resume with the same SparsityOptions.Method.", "resume with the same --method.")]
    [InlineData("lower TrainingOptions.LearningRate (now 0.1) or add TrainingOptions.WarmupEpochs.", "lower --lr (now 0.1) or add --warmup-epochs.")]
    [InlineData("SparsityOptions.RegrowthRateMin 0.9 must be in [0, SparsityOptions.RegrowthRate].", "--config key sparsity.regrowthRateMin 0.9 must be in [0, --regrowth-rate].")]
    [InlineData("TrainingOptions.NoSuchOption stays; so does MyOptions.Seed.", "TrainingOptions.NoSuchOption stays; so does MyOptions.Seed.")]
    public void Library_option_names_in_any_message_become_flags(string library, string tool) =>
        Assert.Equal(tool, GraNet.Cli.Configuration.OptionFlags.Rewrite(library));

    [Fact]
    public void Every_library_option_has_a_name_in_the_tool()
    {
        // Each settable option of the two option records is named by a flag of 'granet train' or by its --config key, never by its C# name.
        var trainFlags = GraNet.Cli.Commands.TrainCommand.Create(TextWriter.Null, TextWriter.Null).Options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet();
        var properties = new[] { typeof(GraNet.Training.TrainingOptions), typeof(GraNet.Sparsity.SparsityOptions) }
            .SelectMany(t => t.GetProperties().Where(p => p.SetMethod is not null).Select(p => $"{t.Name}.{p.Name}")).ToList();
        Assert.Contains("TrainingOptions.Epochs", properties);
        Assert.Contains("SparsityOptions.RigLStopFraction", properties);
        foreach (string key in properties)
        {
            string name = GraNet.Cli.Configuration.OptionFlags.Name(key);
            Assert.True(trainFlags.Contains(name) || name.StartsWith("--config key ", StringComparison.Ordinal), $"{key} is shown as '{name}'");
        }
        Assert.Equal("--threads", GraNet.Cli.Configuration.OptionFlags.Name("TorchRuntime.Configure.threads"));
    }

    [Fact]
    public void A_data_dir_that_does_not_exist_is_refused_before_training()
    {
        string typo = Path.Combine(root, "no-such-folder");
        string run = Path.Combine(root, "run");
        var (code, lines) = Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", typo, "--epochs", "1", "--threads", "1", "--output", run);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith($"granet: --data-dir {typo} does not exist;", Assert.Single(lines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(run));
    }

    [Theory]
    [InlineData("sweep", "--methods", "dense", "--epochs", "1")]
    [InlineData("plasticity", "--epochs", "2", "--at-epochs", "1")]
    [InlineData("bench", "data")]
    public void Every_command_that_reads_training_data_names_a_missing_data_dir_by_its_option(params string[] command)
    {
        string typo = Path.Combine(root, "no-such-folder");
        string output = Path.Combine(root, "out");
        string[] args = [.. command, "--dataset", "fashion-mnist", "--data-dir", typo, .. command[0] == "bench" ? Array.Empty<string>() : ["--model", "lenet-300-100", "--threads", "1", "--output", output]];
        var (code, lines) = Run(args);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith($"granet: --data-dir {typo} does not exist; give the folder that holds the fashion-mnist files, or drop --data-dir to search", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Zeroed_data_files_are_refused_before_training_naming_the_file()
    {
        // Headers intact, every byte after them 0: a model trained 'to 100 %' on it before this was refused.
        string data = Directory.CreateDirectory(Path.Combine(root, "zeroed")).FullName;
        TestFiles.WriteTinyMnist(data);
        string images = Path.Combine(data, "train-images-idx3-ubyte.gz");
        TestFiles.Write(images, TestFiles.Idx([300, 28, 28], new byte[300 * 784]), gzip: true);
        string run = Path.Combine(root, "run");
        var (code, lines) = Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--threads", "1", "--output", run);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith($"granet: {images}: all 300 images are the same (every pixel is 0): the file is damaged (e.g. zeroed); replace it.", Assert.Single(lines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(run));

        string labels = Path.Combine(data, "train-labels-idx1-ubyte.gz");
        TestFiles.WriteTinyMnist(data);
        TestFiles.Write(labels, TestFiles.Idx([300], new byte[300]), gzip: true);
        (code, lines) = Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--threads", "1", "--output", run);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith($"granet: {labels}: all 300 training labels are 0, one class of 10: the file is damaged (e.g. zeroed); replace it.", Assert.Single(lines), StringComparison.Ordinal);
    }

    [Fact]
    public void An_output_where_no_file_can_be_made_is_named_with_the_option_to_change()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // /proc takes no new files on Linux
        }
        string data = Directory.CreateDirectory(Path.Combine(root, "tiny")).FullName;
        TestFiles.WriteTinyMnist(data);
        string output = $"/proc/granet-test-{Environment.ProcessId}";
        var (code, lines) = Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--threads", "1", "--output", output);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: --output {output}: no file can be made in /proc (a file system that takes no new files); choose another --output.", Assert.Single(lines));
    }

    [Fact]
    public void A_path_of_the_wrong_kind_is_named_as_such()
    {
        string file = Path.Combine(root, "model.gsm");
        File.WriteAllText(file, "x");
        string folder = Directory.CreateDirectory(Path.Combine(root, "a-folder")).FullName;
        Assert.Equal($"granet: --resume {file} is a file; give the run's folder (the one holding config.json and last.ckpt).", Assert.Single(Run("train", "--resume", file).Lines));
        Assert.Equal($"granet: --config {folder} is a folder; give the path of a JSON file (e.g. {Path.Combine(folder, "config.json")}).", Assert.Single(Run("train", "--config", folder).Lines));
        Assert.Equal($"granet: --from {file} is a file; --from takes a run folder: the base run of an earlier plasticity study (STUDY/base), which keeps the epoch-N.ckpt checkpoints.", Assert.Single(Run("plasticity", "--from", file, "--at-epochs", "1").Lines));
        Assert.Equal("granet: --lr is given 2 times; give it once. (see 'granet --help' or 'granet COMMAND --help').", Assert.Single(Run("train", "--lr", "0.1", "--lr", "0.2").Lines));
    }

    [Fact]
    public void A_path_of_the_wrong_kind_exits_with_the_same_code_whatever_the_command()
    {
        // A folder where a file is wanted, or a file where a folder is: no file (or folder) of the kind asked for is
        // there, so each is refused as a missing one is (exit 3). evaluate, infer, bench inference and export said 2.
        string file = Path.Combine(root, "model.gsm");
        File.WriteAllText(file, "x");
        string folder = Directory.CreateDirectory(Path.Combine(root, "a-folder")).FullName;
        string[][] commands =
        [
            ["train", "--resume", file],
            ["train", "--config", folder],
            ["plasticity", "--from", file, "--at-epochs", "1"],
            ["report", file],
            ["evaluate", "--checkpoint", folder],
            ["infer", "--model", folder],
            ["bench", "inference", "--model", folder],
            ["export", "--checkpoint", folder, "--output", Path.Combine(root, "m.gsm")],
            ["export", "--checkpoint", Path.Combine(root, "x.ckpt"), "--output", folder],
            ["export", "--checkpoint", Path.Combine(root, "x.ckpt"), "--output", Path.Combine(file, "m.gsm")],
        ];
        foreach (string[] args in commands)
        {
            var (code, lines) = Run(args);
            Assert.True(code == ExitCodes.BadInput, $"{string.Join(' ', args)}: exit {code}, {string.Join(" | ", lines)}");
            Assert.Single(lines);
        }
    }

    [Fact]
    public void A_data_dir_that_is_a_file_is_refused_as_a_file()
    {
        string file = Path.Combine(root, "train-images-idx3-ubyte.gz");
        File.WriteAllText(file, "x");
        string run = Path.Combine(root, "run");
        var (code, lines) = Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", file, "--epochs", "1", "--threads", "1", "--output", run);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: --data-dir {file} is a file, not a folder; give the folder that holds the fashion-mnist files ({root}), or drop --data-dir to search the usual places.", Assert.Single(lines));
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void Export_to_a_folder_is_refused_with_a_file_name_to_use()
    {
        string folder = Directory.CreateDirectory(Path.Combine(root, "out")).FullName;
        var (code, lines) = Run("export", "--checkpoint", Path.Combine(root, "x.ckpt"), "--output", folder);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: --output {folder} is a folder; give a file name, e.g. {Path.Combine(folder, "model.gsm")}.", Assert.Single(lines));
    }

    [Fact]
    public void Export_to_a_path_ending_in_a_slash_is_refused_as_a_folder_and_makes_none()
    {
        // It made the folder, then failed to rename the file onto it: "The file '…/new/' already exists." (exit 3).
        string folder = Path.Combine(root, "new") + Path.DirectorySeparatorChar;
        var (code, lines) = Run("export", "--checkpoint", Path.Combine(root, "x.ckpt"), "--output", folder);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: --output {folder} is a folder; give a file name, e.g. {Path.Combine(folder, "model.gsm")}.", Assert.Single(lines));
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void Export_of_a_missing_checkpoint_asks_for_a_checkpoint_only()
    {
        // The shared loader's message also offered "a model from 'granet export'", which export refuses.
        string missing = Path.Combine(root, "none.ckpt");
        var (code, lines) = Run("export", "--checkpoint", missing, "--output", Path.Combine(root, "m.gsm"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: --checkpoint {missing}: not found; give a .ckpt file from 'granet train' (last.ckpt or best.ckpt).", Assert.Single(lines));
    }

    [Theory]
    [InlineData("lenet5-caffe")]
    [InlineData("vgg-16")] // an alias --architecture takes
    public void Bench_inference_given_a_model_name_for_its_file_option_points_to_architecture(string name)
    {
        var (code, lines) = Run("bench", "inference", "--model", name);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal($"granet: --model {name}: no such file; --model takes a trained model file (.ckpt or .gsm). To time {name} with random weights, give --architecture {name}.", Assert.Single(lines));
    }

    [Theory]
    [InlineData(1, 0, 28, 10, "1x0x28 images and 10 classes")] // it went on to build the model and failed on its size (exit 2)
    [InlineData(3, 32, 32, 10, "3x32x32 images and 10 classes")] // it went on to look for CIFAR-sized data
    [InlineData(1, 28, 28, 12, "1x28x28 images and 12 classes")]
    public void A_compact_model_whose_header_does_not_fit_its_data_set_is_refused_as_a_damaged_file(int channels, int height, int width, int classes, string said)
    {
        // A header with a valid checksum that export did not write as it is (made here through the library).
        string path = Path.Combine(root, "forged.gsm");
        using (var model = GraNet.Models.ModelRegistry.Create("lenet5-caffe", new GraNet.Data.ImageShape(1, 28, 28), 10))
        {
            GraNet.Export.CompactModel.Save(path, model, new GraNet.Export.CompactModelHeader("lenet5-caffe", "fashion-mnist", channels, height, width, classes, "{}", []));
        }
        var (code, lines) = Run("infer", "--model", path, "--threads", "1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {path}: its header gives {said}, but its data set fashion-mnist has 1x28x28 and 10; the file was not written by 'granet export' as it is: export the model again.", Assert.Single(lines));
    }

    [Theory]
    [InlineData("resnet999", "fashion-mnist", "{}", "its header names model 'resnet999', which this version of GraNet.NET does not have (it has lenet-300-100, lenet5-caffe, vgg16, vgg19, resnet18, resnet34, resnet50, resnet20, resnet32); the file was written by another version or is damaged: use the version that wrote it.")]
    [InlineData("lenet5-caffe", "svhn", "{}", "its header names data set 'svhn', which this version of GraNet.NET does not have (it has fashion-mnist, mnist, cifar10, cifar100); the file was written by another version or is damaged: use the version that wrote it.")]
    [InlineData("lenet5-caffe", "fashion-mnist", null, "damaged header (it names no configuration); give a .ckpt file from 'granet train' or a model from 'granet export'.")]
    public void A_model_file_whose_header_names_what_this_version_lacks_is_refused_as_the_file(string model, string dataset, string? configuration, string said)
    {
        // Its checksum is intact (a file of a newer version, say): it said "Unknown model 'resnet999'. Known: …" or
        // "Value cannot be null." without the file, and exit 2, as if an option had been given wrong.
        string path = Path.Combine(root, "newer.gsm");
        using (var module = GraNet.Models.ModelRegistry.Create("lenet5-caffe", new GraNet.Data.ImageShape(1, 28, 28), 10))
        {
            GraNet.Export.CompactModel.Save(path, module, new GraNet.Export.CompactModelHeader(model, dataset, 1, 28, 28, 10, configuration!, []));
        }
        foreach (string command in new[] { "infer", "evaluate" })
        {
            var (code, lines) = Run(command, "--model", path, "--threads", "1");
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Equal($"granet: {path}: {said}", Assert.Single(lines));
        }
    }

    [Fact]
    public void A_tensorboard_folder_that_cannot_be_written_is_refused_before_training()
    {
        string file = Path.Combine(root, "a-file");
        File.WriteAllText(file, "x");
        string data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        TestFiles.WriteTinyMnist(data);
        string run = Path.Combine(root, "run");
        var (code, lines) = Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--threads", "1", "--output", run, "--tensorboard", Path.Combine(file, "tb"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: --tensorboard {Path.Combine(file, "tb")}: {file} is a file, not a folder; choose another --tensorboard, or move the file away.", Assert.Single(lines));
        Assert.False(File.Exists(Path.Combine(run, "metrics.jsonl")));

        // The file itself, not .NET's "already exists".
        (code, lines) = Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--threads", "1", "--output", run, "--tensorboard", file);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: --tensorboard {file} is a file, not a folder; give a folder for the logs (it is created if missing), or move the file away.", Assert.Single(lines));
        Assert.False(File.Exists(Path.Combine(run, "metrics.jsonl")));
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public void An_output_that_is_a_file_is_refused_and_the_file_kept()
    {
        string data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        TestFiles.WriteTinyMnist(data);
        string file = Path.Combine(root, "notes.txt");
        File.WriteAllText(file, "mine");
        var (code, lines) = Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--threads", "1", "--output", file);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: --output {file} is a file; give a folder for the run (it is created if missing).", Assert.Single(lines));
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [Fact]
    public void Report_names_a_damaged_summary()
    {
        string run = Directory.CreateDirectory(Path.Combine(root, "run")).FullName;
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"), "{\"epoch\":1,\"trainLoss\":0.5}\n");
        File.WriteAllText(Path.Combine(run, "summary.json"), "{bad");
        var (code, lines) = Run("report", run);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith($"granet: {Path.Combine(run, "summary.json")}: damaged JSON (", Assert.Single(lines), StringComparison.Ordinal);
    }

    [Fact]
    public void Infer_runs_a_resnet_sparse_with_the_accuracy_evaluate_gives_dense()
    {
        // A tiny Fashion-MNIST and one epoch of ResNet-20 (residual blocks, batch norms folded, zero-padding shortcuts).
        // (Not a tiny CIFAR-10: its files must hold the data set's 10,000 images each.)
        string data = Directory.CreateDirectory(Path.Combine(root, "tiny")).FullName;
        TestFiles.WriteTinyMnist(data, train: 50, test: 10);
        string run = Path.Combine(root, "resnet");
        // The run may be reported as collapsed (exit 4), but its checkpoint is written, which is all this needs.
        Runner.Run(["train", "--model", "resnet20", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "25", "--threads", "1", "--validation", "0", "--output", run], new StringWriter(), new StringWriter());
        Assert.True(File.Exists(Path.Combine(run, "last.ckpt")));
        var sparse = new StringWriter();
        var error = new StringWriter();
        int code = Runner.Run(["infer", "--model", Path.Combine(run, "last.ckpt"), "--data-dir", data, "--threads", "1", "--batch-size", "4"], sparse, error);
        Assert.True(code == 0, error.ToString());
        Assert.Contains("sparse execution: stem.conv ", sparse.ToString(), StringComparison.Ordinal);
        Assert.Contains("stages.stage3_0.body.conv2 ", sparse.ToString(), StringComparison.Ordinal);
        var dense = new StringWriter();
        Assert.Equal(0, Runner.Run(["evaluate", "--model", Path.Combine(run, "last.ckpt"), "--data-dir", data, "--threads", "1", "--batch-size", "4"], dense, error));
        string Accuracy(string text) => Regex.Match(text, @"test accuracy ([0-9.]+)%").Groups[1].Value;
        Assert.Contains("sparse execution: test accuracy", sparse.ToString(), StringComparison.Ordinal);
        Assert.Contains("dense execution: test accuracy", dense.ToString(), StringComparison.Ordinal);
        Assert.Equal(Accuracy(dense.ToString()), Accuracy(sparse.ToString()));
    }
}
