using GraNet.Cli;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary><c>granet report</c> says how a run ended, whatever the ending.</summary>
public class ReportTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-report");
    private readonly string data;

    public ReportTests()
    {
        data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string[] Train(string output, params string[] extra) => ArgumentList.Build("train",
        [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "2"), ("--batch-size", "32"), ("--lr", "0.05"), ("--threads", "1"), ("--output", output)],
        extra);

    /// <summary>Replaces the run's summary.json with the one a run that diverged writes (numbers null, a message).</summary>
    private static void MarkDiverged(string run) => File.WriteAllText(Path.Combine(run, "summary.json"), """
        { "outcome": "diverged", "message": "The training loss became NaN at epoch 2, step 20; lower --lr (now 0.05).", "model": "lenet-300-100", "dataset": "fashion-mnist", "method": "dense",
          "testAccuracy": null, "finalDensity": null, "trainingFlopsRelative": null, "inferenceFlopsRelative": null, "wallSeconds": null }
        """);

    [Fact]
    public void A_run_that_diverged_after_an_epoch_is_reported_with_its_message_and_charts()
    {
        string run = Path.Combine(root, "diverged");
        Assert.Equal(0, CliHarness.Run(Train(run, "--epochs", "1")).Code);
        MarkDiverged(run);
        var (code, _, error) = CliHarness.Run("report", run);
        Assert.True(code == 0, error);
        string report = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains("**The run diverged** after 1 finished epoch (1 configured): The training loss became NaN at epoch 2, step 20; lower --lr (now 0.05). The charts show the epochs it finished.", report, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(run, "report", "loss.png")));
    }

    [Fact]
    public void A_run_that_diverged_in_its_first_epoch_gets_a_report_without_charts()
    {
        string run = Path.Combine(root, "diverged-early");
        Assert.Equal(0, CliHarness.Run(Train(run, "--epochs", "1")).Code);
        MarkDiverged(run);
        File.Delete(Path.Combine(run, "metrics.jsonl"));
        var (code, _, error) = CliHarness.Run("report", run);
        Assert.True(code == 0, error);
        Assert.Contains("**The run diverged** after 0 finished epochs (1 configured): The training loss became NaN at epoch 2, step 20; lower --lr (now 0.05).", File.ReadAllText(Path.Combine(run, "report.md")), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(run, "report")));
    }

    [Fact]
    public void A_collapsed_run_is_reported_as_collapsed_with_the_epochs_it_was_meant_to_train()
    {
        string run = Path.Combine(root, "collapsed");
        Assert.Equal(ExitCodes.TrainingFailed, CliHarness.Run(Train(run, "--lr", "1e-9", "--validation", "0")).Code);
        var (code, _, error) = CliHarness.Run("report", run);
        Assert.True(code == 0, error);
        string report = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains("**The run collapsed**: its loss stayed at chance in epoch 1 and it was stopped; test accuracy **", report, StringComparison.Ordinal);
        Assert.Contains("(epoch 1 of 1 trained, 2 configured)", report, StringComparison.Ordinal);
    }
}
