using GraNet.Cli;
using GraNet.Cli.Output;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>
/// The folder lock keeps a second process from touching the files of a process at work in a folder, and only a command
/// that writes the folder takes it.
/// </summary>
public class FolderLockTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-folder-lock");
    private readonly string data;

    public FolderLockTests()
    {
        data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data, train: 100, test: 50);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void A_refused_resume_leaves_the_temporary_files_of_the_process_writing_the_folder()
    {
        string run = Path.Combine(root, "run");
        var (trained, _, trainError) = CliHarness.Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1",
            "--batch-size", "32", "--threads", "1", "--output", run);
        Assert.True(trained == 0, trainError);
        // The process holding the lock is writing last.ckpt through its temporary: the temporary is live, not stale.
        string live = Path.Combine(run, "last.ckpt.4242.tmp");
        using (new RunFolder(run).Lock())
        {
            File.WriteAllText(live, "being written");
            var (code, _, _) = CliHarness.Run("train", "--resume", run);
            Assert.Equal(ExitCodes.Busy, code);
            Assert.True(File.Exists(live));
        }
    }

    [Fact]
    public void Report_only_tabulates_a_sweep_folder_that_another_sweep_is_working_in()
    {
        string folder = Path.Combine(root, "sweep");
        string[] args = ["sweep", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32",
            "--threads", "1", "--methods", "dense", "--seeds", "1", "--output", folder];
        var (swept, _, sweepError) = CliHarness.Run(args);
        Assert.True(swept == 0, sweepError);
        File.Delete(Path.Combine(folder, "results.md"));
        using (new RunFolder(folder).Lock())
        {
            var (code, _, error) = CliHarness.Run([.. args, "--report-only"]);
            Assert.True(code == 0, error);
        }
        Assert.Contains("| dense |", File.ReadAllText(Path.Combine(folder, "results.md")), StringComparison.Ordinal);
    }
}
