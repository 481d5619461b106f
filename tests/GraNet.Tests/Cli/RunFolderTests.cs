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
}
