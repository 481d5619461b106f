using GraNet.Cli;
using GraNet.Cli.Output;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>Run folders: a run is never written over another one.</summary>
public class RunFolderTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-folder");

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Two_default_folders_started_in_the_same_second_get_different_names()
    {
        var time = new DateTime(2026, 11, 25, 1, 2, 3, DateTimeKind.Local);
        var first = RunFolder.NewDefault("lenet5-caffe", "fashion-mnist", "granet", root, time);
        var second = RunFolder.NewDefault("lenet5-caffe", "fashion-mnist", "granet", root, time);
        first.Create();
        second.Create();
        string name = Path.Combine(root, "20261125-010203-lenet5-caffe-fashion-mnist-granet");
        Assert.Equal(name, first.Path);
        Assert.Equal(name + "-2", second.Path);
        Assert.True(Directory.Exists(first.Path));
        Assert.True(Directory.Exists(second.Path));
    }

    [Fact]
    public void Folders_claimed_at_the_same_time_are_all_different()
    {
        string name = Path.Combine(root, "20261125-010203-m-d-dense");
        var claimed = new string[16];
        Parallel.For(0, claimed.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i => claimed[i] = RunFolder.Claim(name));
        Assert.Equal(claimed.Length, claimed.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 16).Select(n => n == 1 ? name : $"{name}-{n}").Order(), claimed.Order());
    }

    [Fact]
    public void An_existing_empty_folder_is_claimed_and_a_non_empty_one_skipped()
    {
        string name = Path.Combine(root, "r");
        Directory.CreateDirectory(name);
        Assert.Equal(name, RunFolder.Claim(name));
        Directory.CreateDirectory(name + "-2");
        File.WriteAllText(Path.Combine(name + "-2", "notes.txt"), "mine");
        Assert.Equal(name + "-3", RunFolder.Claim(name));
    }

    [Fact]
    public void Training_into_a_folder_that_holds_a_run_is_refused_and_leaves_its_files_unchanged()
    {
        string data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
        string run = Path.Combine(root, "run");
        Directory.CreateDirectory(run); // an empty existing folder is fine
        string[] args = ["train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32",
            "--threads", "1", "--output", run];
        var error = new StringWriter();
        Assert.True(Runner.Run(args, new StringWriter(), error) == 0, error.ToString());
        var before = Directory.GetFiles(run).Order().ToDictionary(f => f, File.ReadAllBytes);
        Assert.Contains(Path.Combine(run, "summary.json"), before.Keys);

        var again = new StringWriter();
        int code = Runner.Run([.. args, "--lr", "0.01"], new StringWriter(), again);

        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal($"granet: {run} already holds a run; continue it with 'granet train --resume {run}', or choose another --output.", again.ToString().Trim());
        Assert.Equal(before.Keys, Directory.GetFiles(run).Order());
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));
    }

    [Fact]
    public void A_suggested_resume_command_quotes_the_folder_for_the_shell()
    {
        // A space, an ampersand and a single quote: pasted bare, the shell would split the path, start a background job and open a quote.
        // The command is set off in double quotes, since its path needs single ones.
        string run = Path.Combine(root, "q dir", "r un&co's");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "config.json"), "{}");
        string quoted = $"'{root}/q dir/r un&co'\\''s'";

        var train = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(["train", "--epochs", "1", "--threads", "1", "--output", run], new StringWriter(), train));
        Assert.Equal($"granet: {run} already holds a run; continue it with \"granet train --resume {quoted}\", or choose another --output.", train.ToString().Trim());

        var report = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(["report", run], new StringWriter(), report));
        Assert.Equal($"granet: {run}/metrics.jsonl: not found: the run has not finished an epoch yet (it was stopped, or is still training); continue it with \"granet train --resume {quoted}\", then report.", report.ToString().Trim());
    }

    [Fact]
    public void A_run_refused_as_it_is_set_up_leaves_the_folder_to_the_corrected_command()
    {
        string data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
        string run = Path.Combine(root, "refused");
        string[] args = ["train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32",
            "--threads", "1", "--method", "static", "--distribution", "uniform", "--output", run];
        var error = new StringWriter();

        // Uniform 0.0004 gives fc3 (1,000 weights) round(0.4) = 0: refused when the masks are made, after the folder was made.
        int code = Runner.Run([.. args, "--final-density", "0.0004"], new StringWriter(), error);

        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("granet: --final-density 0.0004 leaves layer fc3.weight (1000 weights) with no weight under the uniform distribution; raise it, or use ERK, which gives small layers more.", error.ToString().Trim());
        Assert.False(Directory.Exists(run)); // made for this run, so gone with it (not left holding a lock file)
        error = new StringWriter();
        Assert.True(Runner.Run([.. args, "--final-density", "0.5"], new StringWriter(), error) == 0, error.ToString());
        Assert.True(File.Exists(Path.Combine(run, "summary.json")));

        // A folder that was there stays, without the run's files; ERK is not advised to a run under ERK.
        string mine = Directory.CreateDirectory(Path.Combine(root, "mine")).FullName;
        File.WriteAllText(Path.Combine(mine, "notes.txt"), "keep");
        error = new StringWriter();
        code = Runner.Run([.. args[..^4], "--output", mine, "--final-density", "1e-9"], new StringWriter(), error);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("granet: --final-density 1e-09 leaves layer fc1.weight (235200 weights) with no weight under the erk distribution; raise it.", error.ToString().Trim());
        Assert.False(new RunFolder(mine).HoldsRun);
        Assert.Equal("keep", File.ReadAllText(Path.Combine(mine, "notes.txt")));

        // Global pruning to a density that keeps no weight at all is refused before training, not found after it.
        error = new StringWriter();
        code = Runner.Run(["train", "--model", "lenet-300-100", "--dataset", "fashion-mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32",
            "--threads", "1", "--method", "gmp", "--prune-end-epoch", "1", "--final-density", "1e-9", "--output", Path.Combine(root, "gmp")], new StringWriter(), error);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("granet: --final-density 1e-09 keeps no weight of the model's 266,200 (it rounds to 0 weights); raise it.", error.ToString().Trim());
        Assert.False(Directory.Exists(Path.Combine(root, "gmp")));
    }

    [Fact]
    public void Temporaries_of_a_killed_process_are_removed_and_nothing_else()
    {
        var folder = new RunFolder(Path.Combine(root, "killed"));
        folder.Create();
        string[] stale = ["last.ckpt.31969.tmp", "mask-updates.jsonl.30529.tmp", "summary.json.31114.tmp", "best.ckpt.16976.tmp", "best.ckpt.next.16977.tmp", "epoch-3.ckpt.4100.tmp"];
        string[] kept = ["last.ckpt", "notes.tmp", "my.data.12.tmp", "last.ckpt.x1.tmp", "epoch-3.ckpt"];
        foreach (string name in stale.Concat(kept))
        {
            File.WriteAllText(Path.Combine(folder.Path, name), "x");
        }
        Assert.Equal(stale.Order(), folder.RemoveStaleTemporaries().Select(Path.GetFileName).Order());
        Assert.Equal(kept.Order(), Directory.GetFiles(folder.Path).Select(Path.GetFileName).Where(n => n != RunFolder.ClaimFileName).Order());
    }

    [Fact]
    public void Temporaries_of_a_killed_sweep_or_study_are_removed_and_nothing_else()
    {
        string study = Path.Combine(root, "study");
        string cells = Path.Combine(study, "cells");
        Directory.CreateDirectory(cells);
        string[] stale = ["results.csv.11745.tmp", "results.md.11745.tmp", "sweep.json.9.tmp", "density.png.tmp.png", Path.Combine("cells", "e1-p0.5-gradient.json.11904.tmp")];
        string[] kept = ["results.csv", "notes.txt.12.tmp", "results.csv.x1.tmp", "plot.tmp.png", Path.Combine("cells", "e1-p0.5-gradient.json"), Path.Combine("cells", "notes.tmp")];
        foreach (string name in stale.Concat(kept))
        {
            File.WriteAllText(Path.Combine(study, name), "x");
        }
        Assert.Equal(stale.Order(), RunFolder.RemoveStudyTemporaries(study).Select(f => Path.GetRelativePath(study, f)).Order());
        Assert.Equal(kept.Order(), Directory.GetFiles(study, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(study, f)).Order());
        Assert.Empty(RunFolder.RemoveStudyTemporaries(Path.Combine(root, "no-such-study")));
    }
}
