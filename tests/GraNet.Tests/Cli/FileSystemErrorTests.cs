using GraNet.Cli;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>
/// File-system failures (permissions, a full disk, a path below a file, a name too long) become one line naming the path
/// and the fix for what failed: reading or writing, and "another --output" only for a command that takes one.
/// </summary>
public class FileSystemErrorTests : IDisposable
{
    private const int NoSpace = 28; // ENOSPC: an IOException on Linux carries the errno as its HResult
    private const int ReadOnlyFileSystem = 30; // EROFS

    private readonly string root = TestFiles.TempFolder("granet-fs-errors");

    public void Dispose()
    {
        foreach (string folder in Directory.GetDirectories(root, "*", SearchOption.AllDirectories).Prepend(root))
        {
            TestFiles.Chmod(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Directory.Delete(root, recursive: true);
    }

    private static UnauthorizedAccessException Denied(string path) => new($"Access to the path '{path}' is denied.");

    private static IOException Full(string path) => new($"No space left on device : '{path}'", NoSpace);

    /// <summary>A run folder that can be resumed (it holds config.json).</summary>
    private string RunFolder(string name)
    {
        string run = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        File.WriteAllText(Path.Combine(run, "config.json"), "{}");
        return run;
    }

    [Fact]
    public void A_file_that_cannot_be_read_gets_the_fix_for_reading_not_another_output()
    {
        string checkpoint = Path.Combine(RunFolder("run"), "last.ckpt");
        File.WriteAllText(checkpoint, "x");
        foreach (string[] args in new[] { ["train", "--resume", Path.GetDirectoryName(checkpoint)!], ["train", "--output", root], new[] { "evaluate", "--checkpoint", checkpoint } })
        {
            Assert.Equal(
                $"cannot read {checkpoint} (permission denied); check its permissions (e.g. chmod a+r {checkpoint}).",
                Runner.AccessDeniedText(Denied(checkpoint), args, readable: _ => false));
        }
        Assert.Equal(
            $"cannot read {root} (permission denied); check its permissions (e.g. chmod a+rx {root}).",
            Runner.AccessDeniedText(Denied(root), ["report", root], readable: _ => false));
    }

    [Fact]
    public void The_chmod_suggested_for_a_file_that_cannot_be_read_quotes_its_path_for_the_shell()
    {
        string checkpoint = Path.Combine(RunFolder("my run"), "it's.ckpt");
        File.WriteAllText(checkpoint, "x");
        Assert.Equal(
            $"cannot read {checkpoint} (permission denied); check its permissions (e.g. chmod a+r '{root}/my run/it'\\''s.ckpt').",
            Runner.AccessDeniedText(Denied(checkpoint), ["evaluate", "--checkpoint", checkpoint], readable: _ => false));
    }

    [Fact]
    public void A_write_that_is_refused_names_the_folder_and_another_output_only_where_the_command_takes_one()
    {
        string run = RunFolder("run");
        string report = Path.Combine(run, "report");
        Assert.Equal(
            $"cannot write {report} (permission denied); check the permissions of its folder {run}.",
            Runner.AccessDeniedText(Denied(report), ["report", run], readable: _ => true));
        // A file written under a temporary name is named by its own name.
        Assert.Equal(
            $"cannot write {Path.Combine(run, "config.json")} (permission denied); check the permissions of it and of its folder {run}.",
            Runner.AccessDeniedText(Denied(Path.Combine(run, "config.json.4833.tmp")), ["train", "--resume", run], readable: _ => true));
        string target = Path.Combine(root, "new-run");
        Assert.Equal(
            $"cannot write {target} (permission denied); check the permissions of its folder {root}, or choose another --output.",
            Runner.AccessDeniedText(Denied(target), ["train", "--output", target], readable: _ => true));
        Assert.EndsWith(", or choose another --output.", Runner.AccessDeniedText(Denied(Path.Combine(root, "m.gsm")), ["export", "-c", "x.ckpt", "-o", Path.Combine(root, "m.gsm")], readable: _ => true), StringComparison.Ordinal);
    }

    [NotAsRootFact]
    public void Report_and_resume_in_a_folder_that_cannot_be_written_do_not_suggest_another_output()
    {
        string data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        TestFiles.WriteTinyMnist(data, train: 64, test: 16);
        string run = Path.Combine(root, "run");
        var trained = CliHarness.Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32", "--threads", "1", "--validation", "0", "--output", run);
        Assert.True(trained.Code == 0, trained.Error);
        TestFiles.Chmod(run, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var report = CliHarness.Run("report", run);
        Assert.Equal(ExitCodes.BadInput, report.Code);
        Assert.Equal($"granet: cannot write {Path.Combine(run, "report")} (permission denied); check the permissions of its folder {run}.\n", report.Error);
        var resume = CliHarness.Run("train", "--resume", run);
        Assert.Equal(ExitCodes.BadInput, resume.Code);
        Assert.StartsWith($"granet: cannot write {run}", resume.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("--output", resume.Error, StringComparison.Ordinal);
        TestFiles.Chmod(Path.Combine(run, "last.ckpt"), UnixFileMode.None);
        var evaluate = CliHarness.Run("evaluate", "--checkpoint", Path.Combine(run, "last.ckpt"), "--data-dir", data);
        Assert.Equal(ExitCodes.BadInput, evaluate.Code);
        Assert.Equal($"granet: cannot read {Path.Combine(run, "last.ckpt")} (permission denied); check its permissions (e.g. chmod a+r {Path.Combine(run, "last.ckpt")}).\n", evaluate.Error);
    }

    [Fact]
    public void A_full_disk_says_to_free_space_and_how_to_continue()
    {
        string run = RunFolder("run");
        string checkpoint = Path.Combine(run, "last.ckpt");
        string expected = $"{checkpoint}: no space left on the device; free space, then continue with 'granet train --resume {run}'.";
        Assert.Equal(expected, Runner.FileSystemErrorText(Full(checkpoint + ".4833.tmp"), ["train", "--resume", run]));
        Assert.Equal(expected, Runner.FileSystemErrorText(Full(checkpoint + ".4833.tmp"), ["train", "--output", run, "--epochs", "3"]));
        // A default run folder (no --output) is the folder of the file.
        Assert.Equal(expected, Runner.FileSystemErrorText(Full(checkpoint + ".4833.tmp"), ["train", "--epochs", "3"]));
        // Before the run folder holds a run, there is nothing to resume.
        string fresh = Directory.CreateDirectory(Path.Combine(root, "fresh")).FullName;
        Assert.Equal(
            $"{Path.Combine(fresh, "config.json")}: no space left on the device; free space, then run the command again.",
            Runner.FileSystemErrorText(Full(Path.Combine(fresh, "config.json.17.tmp")), ["train", "--output", fresh]));
        Assert.EndsWith("; free space, then run the same command again to continue (what has finished is kept).", Runner.FileSystemErrorText(Full(checkpoint + ".1.tmp"), ["sweep", "--output", root]), StringComparison.Ordinal);
        Assert.EndsWith("; free space, then run the same command again to continue (what has finished is kept).", Runner.FileSystemErrorText(Full(checkpoint + ".1.tmp"), ["plasticity", "--output", root]), StringComparison.Ordinal);
        Assert.EndsWith(": no space left on the device; free space first.", Runner.FileSystemErrorText(Full(checkpoint + ".1.tmp"), ["sweep-cell", "cell.json", run]), StringComparison.Ordinal);
        Assert.Equal(
            $"{Path.Combine(root, "m.gsm")}: no space left on the device; free space, then run the command again.",
            Runner.FileSystemErrorText(Full(Path.Combine(root, "m.gsm")), ["export", "-c", checkpoint, "-o", Path.Combine(root, "m.gsm")]));
        Assert.Equal(
            $"{checkpoint}: the disk quota is used up; free space, then continue with 'granet train --resume {run}'.",
            Runner.FileSystemErrorText(new IOException($"Disk quota exceeded : '{checkpoint}.4833.tmp'", 122), ["train", "--resume", run]));
        // A chart is written as NAME.tmp.png (the plotting library wants the extension): named as the chart.
        string chart = Path.Combine(run, "report", "ever-active.png");
        Assert.Equal($"{chart}: no space left on the device; free space, then run the command again.",
            Runner.FileSystemErrorText(Full(Path.Combine(run, "report", "ever-active.png.tmp.png")), ["report", run]));
    }

    [Fact]
    public void A_folder_in_the_place_of_a_file_written_says_to_move_it_away_and_how_to_continue()
    {
        // .NET's own text was all the line said: "Is a directory : '…/last.ckpt'".
        string run = RunFolder("run");
        string checkpoint = Directory.CreateDirectory(Path.Combine(run, "last.ckpt")).FullName;
        var error = Assert.ThrowsAny<IOException>(() => GraNet.Training.AtomicFile.WriteText(checkpoint, "x"));
        Assert.Equal(
            $"{checkpoint} is a folder where a file is written; move it away, then continue with 'granet train --resume {run}'.",
            Runner.FileSystemErrorText(error, ["train", "--resume", run]));
        string fresh = Directory.CreateDirectory(Path.Combine(root, "fresh", "config.json")).FullName;
        Assert.Equal(
            $"{fresh} is a folder where a file is written; move it away, then run the command again.",
            Runner.FileSystemErrorText(Assert.ThrowsAny<IOException>(() => GraNet.Training.AtomicFile.WriteText(fresh, "{}")), ["train", "--output", Path.GetDirectoryName(fresh)!]));
    }

    private static IOException ReadOnly(string path) => new($"Read-only file system : '{path}'", ReadOnlyFileSystem);

    [Fact]
    public void A_read_only_file_system_is_named_with_another_output_where_the_command_takes_one()
    {
        string target = Path.Combine(root, "new-run");
        Assert.Equal($"--output {target}: read-only file system; choose another --output.", Runner.FileSystemErrorText(ReadOnly(target), ["train", "--output", target]));
        string model = Path.Combine(root, "m.gsm");
        Assert.Equal($"--output {model}: read-only file system; choose another --output.", Runner.FileSystemErrorText(ReadOnly(model), ["export", "-c", "x.ckpt", "-o", model]));
        // A file of the folder, written under a temporary name, is named by its own name.
        Assert.Equal(
            $"--output {target}: cannot write {Path.Combine(target, "config.json")} (read-only file system); choose another --output.",
            Runner.FileSystemErrorText(ReadOnly(Path.Combine(target, "config.json.17.tmp")), ["train", "--output", target]));
        // A default run folder (no --output): give one.
        Assert.Equal(
            $"cannot write {Path.Combine(root, "runs")} (read-only file system); give an --output on a writable file system.",
            Runner.FileSystemErrorText(ReadOnly(Path.Combine(root, "runs")), ["train", "--epochs", "1"]));
        // Commands that write into the folder they are given: no --output to change.
        string run = RunFolder("run");
        string chart = Path.Combine(run, "report", "loss.png");
        Assert.Equal(
            $"cannot write {chart} (read-only file system); remount it writable, or copy the folder to one that is and run the command on the copy.",
            Runner.FileSystemErrorText(ReadOnly(chart + ".tmp.png"), ["report", run]));
        string lockFile = Path.Combine(run, ".granet-lock");
        Assert.Equal(
            $"cannot write {lockFile} (read-only file system); remount it writable, or copy the folder to one that is and run the command on the copy.",
            Runner.FileSystemErrorText(ReadOnly(lockFile), ["train", "--resume", run]));
        // --report-only rewrites the tables of the sweep folder it is given: another --output would tabulate nothing.
        string results = Path.Combine(root, "results.csv");
        Assert.Equal(
            $"cannot write {results} (read-only file system); remount it writable, or copy the folder to one that is and run the command on the copy.",
            Runner.FileSystemErrorText(ReadOnly(results + ".17.tmp"), ["sweep", "--report-only", "--output", root]));
        Assert.Equal(
            $"cannot write {results} (permission denied); check the permissions of its folder {root}.",
            Runner.AccessDeniedText(Denied(results + ".17.tmp"), ["sweep", "--report-only", "--output", root], readable: _ => true));
    }

    [ReadOnlyMountFact]
    public void A_run_on_a_read_only_file_system_is_refused_as_read_only_not_as_locked_by_another_process()
    {
        string data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        TestFiles.WriteTinyMnist(data, train: 64, test: 16);
        using var mount = new ReadOnlyMount();
        string run = Path.Combine(mount.Path, "run");
        var trained = CliHarness.Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32", "--threads", "1", "--validation", "0", "--output", run);
        Assert.True(trained.Code == 0, trained.Error);
        mount.MakeReadOnly();
        // The lock file is there and cannot be opened for writing: that is the file system, not another granet process.
        var resume = CliHarness.Run("train", "--resume", run);
        Assert.Equal(ExitCodes.BadInput, resume.Code);
        Assert.Equal($"granet: cannot write {Path.Combine(run, ".granet-lock")} (read-only file system); remount it writable, or copy the folder to one that is and run the command on the copy.\n", resume.Error);
        var report = CliHarness.Run("report", run);
        Assert.Equal(ExitCodes.BadInput, report.Code);
        Assert.Contains("(read-only file system); remount it writable", report.Error, StringComparison.Ordinal);
        string output = Path.Combine(mount.Path, "another");
        var fresh = CliHarness.Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32", "--threads", "1", "--output", output);
        Assert.Equal(ExitCodes.BadInput, fresh.Code);
        Assert.Equal($"granet: --output {output}: read-only file system; choose another --output.\n", fresh.Error);
        // What the run wrote is still there, and still evaluates.
        var evaluate = CliHarness.Run("evaluate", "--checkpoint", Path.Combine(run, "last.ckpt"), "--data-dir", data);
        Assert.True(evaluate.Code == 0, evaluate.Error);
    }

    [Fact]
    public void An_output_below_a_file_names_the_file()
    {
        string file = Path.Combine(root, "afile");
        File.WriteAllText(file, "mine");
        string output = Path.Combine(file, "sub");
        Assert.Equal(
            $"--output {output}: {file} is a file, not a folder; choose another --output.",
            Runner.FileSystemErrorText(new DirectoryNotFoundException($"Could not find a part of the path '{output}'."), ["train", "--output", output]));
        // A path no option gave.
        Assert.Equal(
            $"{Path.Combine(output, "x")}: {file} is a file, not a folder; move it, or choose another path.",
            Runner.FileSystemErrorText(new DirectoryNotFoundException($"Could not find a part of the path '{Path.Combine(output, "x")}'."), ["report", root]));
    }

    [Fact]
    public void Train_with_an_output_below_a_file_or_a_name_too_long_gets_one_line_naming_it()
    {
        string data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        TestFiles.WriteTinyMnist(data, train: 64, test: 16);
        string file = Path.Combine(root, "afile");
        File.WriteAllText(file, "mine");
        string below = Path.Combine(file, "sub");
        var (code, output, error) = CliHarness.Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32", "--threads", "1", "--output", below);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: --output {below}: {file} is a file, not a folder; choose another --output.\n", error);
        Assert.Equal("mine", File.ReadAllText(file));
        string tooLong = Path.Combine(root, new string('r', 300));
        (code, output, error) = CliHarness.Run("train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32", "--threads", "1", "--output", tooLong);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {tooLong}: a name in this path is longer than the file system allows (255 bytes on most); choose a shorter --output.\n", error);
        Assert.DoesNotContain("test accuracy", output, StringComparison.Ordinal);
    }
}
