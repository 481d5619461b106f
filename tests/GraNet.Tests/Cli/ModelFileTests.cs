using GraNet.Cli;
using GraNet.Export;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>
/// <c>export</c>, <c>evaluate</c> and <c>infer</c> around a trained run: nothing existing is overwritten, a run folder
/// is pointed at its checkpoints, and the test images are found (and read alone) wherever they are now.
/// </summary>
public sealed class ModelFileTests : IClassFixture<ModelFileTests.TrainedRun>, IDisposable
{
    private readonly TrainedRun trained;
    private readonly string root = TestFiles.TempFolder("granet-model-files");

    public ModelFileTests(TrainedRun trained) => this.trained = trained;

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>One epoch of LeNet-300-100 on a tiny data set (300 training and 100 test images), shared by the tests.</summary>
    public sealed class TrainedRun : IDisposable
    {
        public TrainedRun()
        {
            Root = TestFiles.TempFolder("granet-trained-run");
            Data = Directory.CreateDirectory(Path.Combine(Root, "data")).FullName;
            TestFiles.WriteTinyMnist(Data);
            Run = Path.Combine(Root, "run");
            var (code, _, error) = ModelFileTests.Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", Data, "--epochs", "1", "--batch-size", "32", "--threads", "1", "--output", Run);
            Assert.True(code == 0, error);
        }

        public string Root { get; }

        public string Data { get; }

        public string Run { get; }

        public string Checkpoint => Path.Combine(Run, "last.ckpt");

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    private static (int Code, string Output, string Error) Run(params string[] args) => CliHarness.Run(args);

    /// <summary>The run's checkpoint copied into a folder of this test (so that a failure cannot spoil the shared run).</summary>
    private string CopyOfRun()
    {
        string run = Directory.CreateDirectory(Path.Combine(root, "run")).FullName;
        foreach (string file in Directory.GetFiles(trained.Run))
        {
            File.Copy(file, Path.Combine(run, Path.GetFileName(file)));
        }
        return run;
    }

    [Fact]
    public void Export_refuses_an_existing_output_and_keeps_it()
    {
        string run = CopyOfRun();
        string config = Path.Combine(run, "config.json");
        byte[] before = File.ReadAllBytes(config);
        var (code, output, error) = Run("export", "--checkpoint", Path.Combine(run, "last.ckpt"), "--output", config);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal($"granet: --output {config} already exists; choose another --output, or give --force to replace it.\n", error);
        Assert.Equal("", output);
        Assert.Equal(before, File.ReadAllBytes(config));
    }

    [Fact]
    public void Export_refuses_a_device_or_a_pipe_even_with_force_and_leaves_it_in_place()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the kind of a file system entry is read with Linux's statx
        }
        string run = CopyOfRun();
        string pipe = Path.Combine(root, "pipe");
        using (var make = System.Diagnostics.Process.Start("mkfifo", [pipe]))
        {
            make.WaitForExit();
        }
        // As root a rename would have replaced /dev/null itself with the model file.
        foreach (string target in new[] { "/dev/null", pipe })
        {
            var (code, output, error) = Run("export", "--checkpoint", Path.Combine(run, "last.ckpt"), "--output", target, "--force");
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Equal($"granet: --output {target} is a device, pipe or socket, not a file; give the path of a file.\n", error);
            Assert.Equal("", output);
            Assert.True(GraNet.IO.FileKind.IsSpecial(target));
        }
        Assert.False(GraNet.IO.FileKind.IsSpecial(Path.Combine(run, "config.json")));
        Assert.False(GraNet.IO.FileKind.IsSpecial(run));
        Assert.False(GraNet.IO.FileKind.IsSpecial(Path.Combine(root, "missing")));
    }

    [Fact]
    public void Export_below_a_file_is_refused_naming_the_file()
    {
        string file = Path.Combine(root, "afile");
        File.WriteAllText(file, "mine");
        foreach (string output in new[] { Path.Combine(file, "m.gsm"), Path.Combine(file, "sub", "m.gsm") })
        {
            var (code, _, error) = Run("export", "--checkpoint", trained.Checkpoint, "--output", output);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Equal($"granet: --output {output}: {file} is a file, not a folder; choose another --output.\n", error);
        }
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [Fact]
    public void Export_takes_the_longest_name_the_file_system_takes()
    {
        string target = Path.Combine(root, new string('m', 251) + ".gsm");
        var (code, output, error) = Run("export", "--checkpoint", trained.Checkpoint, "--output", target);
        Assert.True(code == 0, error);
        Assert.StartsWith($"wrote {target}: ", output, StringComparison.Ordinal);
        Assert.Equal([Path.GetFileName(target)], Directory.GetFiles(root).Select(Path.GetFileName));
    }

    [Fact]
    public void Export_never_overwrites_its_own_checkpoint_even_with_force()
    {
        string run = CopyOfRun();
        string checkpoint = Path.Combine(run, "last.ckpt");
        byte[] before = File.ReadAllBytes(checkpoint);
        string link = Path.Combine(root, "link");
        Directory.CreateSymbolicLink(link, run);
        // The same file by its own name, by another spelling, and through a linked folder.
        foreach (string output in new[] { checkpoint, Path.Combine(run, ".", "..", "run", "last.ckpt"), Path.Combine(link, "last.ckpt") })
        {
            foreach (string[] force in new[] { Array.Empty<string>(), ["--force"] })
            {
                var (code, _, error) = Run(["export", "--checkpoint", checkpoint, "--output", output, .. force]);
                Assert.Equal(ExitCodes.BadArguments, code);
                Assert.Equal($"granet: --output {output} is the --checkpoint file itself; choose another --output.\n", error);
            }
        }
        Assert.Equal(before, File.ReadAllBytes(checkpoint));
        Assert.Equal(Directory.GetFiles(trained.Run).Select(Path.GetFileName).Order(), Directory.GetFiles(run).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Export_with_force_replaces_another_file_and_leaves_no_temporary_file()
    {
        string target = Path.Combine(root, "model.gsm");
        File.WriteAllText(target, "an older export");
        var (code, output, error) = Run("export", "--checkpoint", trained.Checkpoint, "--output", target, "--force");
        Assert.True(code == 0, error);
        Assert.StartsWith($"wrote {target}: ", output, StringComparison.Ordinal);
        Assert.True(CompactModel.Format.Matches(target));
        Assert.Equal(["model.gsm"], Directory.GetFiles(root).Select(Path.GetFileName));
        var again = Run("export", "--checkpoint", trained.Checkpoint, "--output", target);
        Assert.Equal(ExitCodes.BadArguments, again.Code);
        Assert.Equal($"granet: --output {target} already exists; choose another --output, or give --force to replace it.\n", again.Error);
    }

    [Fact]
    public void A_run_folder_given_as_checkpoint_names_the_checkpoints_in_it()
    {
        var (code, output, error) = Run("evaluate", "--checkpoint", trained.Run, "--threads", "1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {trained.Run} is a folder; give the checkpoint file in it: {Path.Combine(trained.Run, "last.ckpt")} or {Path.Combine(trained.Run, "best.ckpt")}.\n", error);
        Assert.Equal("", output);
        var empty = Run("infer", "--model", root, "--threads", "1");
        Assert.Equal(ExitCodes.BadInput, empty.Code);
        Assert.Equal($"granet: {root} is a folder without last.ckpt or best.ckpt; give a .ckpt file from 'granet train' or a model from 'granet export'.\n", empty.Error);
    }

    [Fact]
    public void Evaluate_reads_only_the_test_files()
    {
        // A damaged training image file and no training labels: evaluation does not need them.
        string data = Directory.CreateDirectory(Path.Combine(root, "test-only")).FullName;
        TestFiles.WriteTinyMnist(data);
        File.WriteAllText(Path.Combine(data, "train-images-idx3-ubyte.gz"), "damaged");
        File.Delete(Path.Combine(data, "train-labels-idx1-ubyte.gz"));
        var (code, output, error) = Run("evaluate", "--checkpoint", trained.Checkpoint, "--data-dir", data, "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Contains(" on fashion-mnist, dense execution: test accuracy ", output, StringComparison.Ordinal);
        Assert.Contains("(100 images at batch 100:", output, StringComparison.Ordinal); // the batch served, not the 1000 asked for
        Assert.DoesNotContain("note: the test images", output, StringComparison.Ordinal); // (a machine note, such as the convolution check's, may come) the tiny images are about as bright as Fashion-MNIST's (0.27)
    }

    [Fact]
    public void Evaluate_notes_test_images_as_bright_as_another_data_set()
    {
        // Test images of mean brightness 0.80 given as Fashion-MNIST (0.286): the accuracy would be quoted under the wrong name.
        string data = Directory.CreateDirectory(Path.Combine(root, "bright")).FullName;
        TestFiles.WriteTinyMnist(data);
        var pixels = Enumerable.Range(0, 100 * 784).Select(i => (byte)(i % 2 == 0 ? 203 : 205)).ToArray(); // mean 204; not all alike (refused as damaged)
        TestFiles.Write(Path.Combine(data, "t10k-images-idx3-ubyte.gz"), TestFiles.Idx([100, 28, 28], pixels), gzip: true);
        var (code, output, error) = Run("evaluate", "--checkpoint", trained.Checkpoint, "--data-dir", data, "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Contains($"note: the test images in {data} have a mean brightness of 0.800, fashion-mnist's is 0.286: they may be another data set (MNIST and Fashion-MNIST files have the same names); check --data-dir and --dataset.", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_and_infer_note_test_images_other_than_the_runs_for_a_checkpoint_and_its_compact_model()
    {
        // The same files' names and counts, other pixels (a copy edited or redrawn): the accuracy printed would be taken
        // for the run's. The run's own test images give no note.
        string redrawn = Directory.CreateDirectory(Path.Combine(root, "redrawn")).FullName;
        TestFiles.WriteTinyMnist(redrawn, seed: 2);
        string model = Path.Combine(root, "model.gsm");
        Assert.Equal(0, Run("export", "--checkpoint", trained.Checkpoint, "--output", model).Code);
        string note = $"note: the fashion-mnist test images in {redrawn} are not the ones the run was tested on (their SHA-256 digests differ), so this accuracy is not comparable with the run's summary.json.";
        foreach (string[] command in new[] { new[] { "evaluate", "--checkpoint", trained.Checkpoint }, ["infer", "--model", model] })
        {
            var (code, output, error) = Run([.. command, "--data-dir", redrawn, "--threads", "1"]);
            Assert.True(code == 0, error);
            Assert.Contains(note, output, StringComparison.Ordinal);
            (code, output, error) = Run([.. command, "--data-dir", trained.Data, "--threads", "1"]);
            Assert.True(code == 0, error);
            Assert.DoesNotContain("not the ones the run was tested on", output, StringComparison.Ordinal);
        }
        Assert.Equal(GraNet.Training.Checkpoint.ReadHeader(trained.Checkpoint).TestImagesSha256, CompactModel.ReadVerifiedHeader(model).TestImagesSha256);
        // Either command takes either kind of file under either name.
        Assert.Equal(0, Run("infer", "--checkpoint", trained.Checkpoint, "--data-dir", trained.Data, "--threads", "1").Code);
        Assert.Equal(0, Run("evaluate", "--model", model, "--data-dir", trained.Data, "--threads", "1").Code);
    }

    [Fact]
    public void A_dense_run_exports_with_a_note_and_a_compact_model_is_not_exported_again()
    {
        string run = CopyOfRun();
        string model = Path.Combine(root, "dense.gsm");
        var (code, output, error) = Run("export", "--checkpoint", Path.Combine(run, "last.ckpt"), "--output", model);
        Assert.True(code == 0, error);
        Assert.Contains("note: no tensor is sparse enough to store compactly (a dense run, or densities above one half), so the file is no smaller than the dense model", output, StringComparison.Ordinal);

        string again = Path.Combine(root, "again.gsm");
        var twice = Run("export", "--checkpoint", model, "--output", again);
        Assert.Equal(ExitCodes.BadInput, twice.Code);
        Assert.Equal($"granet: --checkpoint {model} is a compact model already (written by 'granet export'); give the .ckpt of the run it came from.\n", twice.Error);
        Assert.False(File.Exists(again));
    }

    [Fact]
    public void A_file_of_the_wrong_kind_is_named_as_what_it_is()
    {
        string run = CopyOfRun();
        string model = Path.Combine(root, "m.gsm");
        Assert.Equal(0, Run("export", "--checkpoint", Path.Combine(run, "last.ckpt"), "--output", model).Code);
        // A compact model where a run's checkpoint must be.
        File.Copy(model, Path.Combine(run, "last.ckpt"), overwrite: true);
        var resume = Run("train", "--resume", run, "--threads", "1");
        Assert.Equal(ExitCodes.BadInput, resume.Code);
        Assert.Contains($"{Path.Combine(run, "last.ckpt")}: not a GraNet checkpoint: it is a compact GraNet model (written by 'granet export'); ", resume.Error, StringComparison.Ordinal);
        // A file of neither kind, where either would do.
        string junk = Path.Combine(root, "junk.gsm");
        File.WriteAllText(junk, "not a model at all");
        var infer = Run("infer", "--model", junk, "--threads", "1");
        Assert.Equal(ExitCodes.BadInput, infer.Code);
        Assert.Equal($"granet: {junk}: neither a GraNet checkpoint nor a compact model; give a .ckpt file from 'granet train' or a model from 'granet export'.\n", infer.Error);
        // A file where report wants a run folder.
        var report = Run("report", model);
        Assert.Equal(ExitCodes.BadInput, report.Code);
        Assert.Equal($"granet: {model} is a file; 'granet report' takes the folder of a run written by 'granet train' (the one holding its metrics.jsonl and summary.json).\n", report.Error);
    }

    [Fact]
    public void Data_moved_since_training_is_found_in_the_usual_places_and_an_explicit_data_dir_wins()
    {
        // Trained with --data-dir moved-away (saved in the checkpoint), which is then moved to where $GRANET_DATA points.
        string saved = Path.Combine(root, "moved-away");
        Directory.CreateDirectory(saved);
        TestFiles.WriteTinyMnist(saved, test: 60);
        string run = Path.Combine(root, "run");
        var train = Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", saved, "--epochs", "1", "--batch-size", "32", "--threads", "1", "--validation", "0", "--output", run);
        Assert.True(train.Code == 0, train.Error);
        string compact = Path.Combine(root, "model.gsm");
        Assert.Equal(0, Run("export", "--checkpoint", Path.Combine(run, "last.ckpt"), "--output", compact).Code);
        string environment = Path.Combine(root, "env");
        Directory.CreateDirectory(environment);
        Directory.Move(saved, Path.Combine(environment, "fashion-mnist"));
        string? before = Environment.GetEnvironmentVariable("GRANET_DATA");
        try
        {
            Environment.SetEnvironmentVariable("GRANET_DATA", environment);
            foreach (var (command, option, file) in new[] { ("evaluate", "--checkpoint", Path.Combine(run, "last.ckpt")), ("infer", "--model", compact) })
            {
                var (code, output, error) = Run(command, option, file, "--threads", "1");
                Assert.True(code == 0, error);
                Assert.Contains("(60 images at batch 60:", output, StringComparison.Ordinal);
                Assert.EndsWith($"; test images from {Path.Combine(environment, "fashion-mnist")}\n", output, StringComparison.Ordinal);
                var given = Run(command, option, file, "--threads", "1", "--data-dir", trained.Data);
                Assert.True(given.Code == 0, given.Error);
                Assert.Contains("(100 images at batch 100:", given.Output, StringComparison.Ordinal);
                Assert.EndsWith($"; test images from {trained.Data}\n", given.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("GRANET_DATA", before);
        }
    }
}
