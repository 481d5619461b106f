using GraNet.Cli;
using GraNet.Export;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary><c>export</c> around a trained run: nothing existing is overwritten.</summary>
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

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Runner.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

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
        Assert.Equal($"granet: --output {config} already exists; choose another --output, or delete it first.\n", error);
        Assert.Equal("", output);
        Assert.Equal(before, File.ReadAllBytes(config));
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
        Assert.Equal($"granet: --output {target} already exists; choose another --output, or delete it first.\n", again.Error);
    }
}
