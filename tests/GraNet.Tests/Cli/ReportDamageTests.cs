using GraNet.Cli;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>
/// <c>granet report</c> on a run folder whose files were damaged or edited: one line naming the file, the line, the field
/// and the fix, with exit 3 (never an internal error, never NaN in the report); a missing file is said in the report.
/// </summary>
public class ReportDamageTests : IDisposable
{
    private const string LineFix = "; fix or delete the line, or train the run again.";

    private const string SummaryFix = "; it is written at the end of a run: 'granet train --resume RUN' writes it again from the run's last checkpoint, or delete the file to report without it.";

    private readonly string run = TestFiles.TempFolder("granet-report-damage");

    /// <summary>A run folder as 'granet train' writes it (two epochs, three mask updates, a completed summary), without config.json.</summary>
    public ReportDamageTests()
    {
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"), """
            {"epoch":1,"trainLoss":0.49,"trainAccuracy":82.12,"validationAccuracy":86.87,"learningRate":0.1,"seconds":1.2,"density":0.1,"everActiveFraction":1,"inferenceFlopsRelative":0.1,"trainingFlopsRelative":0.38}
            {"epoch":2,"trainLoss":0.33,"trainAccuracy":87.86,"validationAccuracy":87.28,"learningRate":0.001,"seconds":1.1,"density":0.1,"everActiveFraction":1,"inferenceFlopsRelative":0.1,"trainingFlopsRelative":0.24}

            """);
        File.WriteAllText(Path.Combine(run, "mask-updates.jsonl"), """
            {"step":0,"kind":"initial","density":1,"rate":null,"removed":0,"added":0,"everActiveFraction":1}
            {"step":50,"kind":"prune","density":0.5,"rate":null,"removed":100,"added":0,"everActiveFraction":1}
            {"step":50,"kind":"regenerate","density":0.5,"rate":0.5,"removed":40,"added":40,"everActiveFraction":1}

            """);
        File.WriteAllText(Path.Combine(run, "summary.json"), """
            {
              "outcome": "completed",
              "model": "lenet-300-100",
              "dataset": "fashion-mnist",
              "testAccuracy": 86.31,
              "bestValidationAccuracy": 87.28,
              "bestEpoch": 2,
              "epochs": 2,
              "imagesPerSecond": 45475,
              "method": "granet",
              "finalDensity": 0.1,
              "inferenceFlopsRelative": 0.1,
              "trainingFlopsRelative": 0.24,
              "everActiveFraction": 1,
              "layers": [ { "name": "fc1.weight", "density": 0.08 }, { "name": "fc2.weight", "density": 0.2 } ]
            }
            """);
    }

    public void Dispose() => Directory.Delete(run, recursive: true);

    private string FileOf(string name) => Path.Combine(run, name);

    private string ReportText => File.ReadAllText(FileOf("report.md"));

    /// <summary>Runs the report and checks that it was refused with one line (exit 3) and wrote no report; returns the line, with the folder as RUN.</summary>
    private string Refused()
    {
        var (code, output, error) = CliHarness.Run("report", run);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal(string.Empty, output);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
        Assert.False(File.Exists(FileOf("report.md")));
        return line.Replace(run, "RUN", StringComparison.Ordinal);
    }

    /// <summary>Runs the report, checks that it succeeded, and returns its standard output with the folder as RUN.</summary>
    private string Reported()
    {
        var (code, output, error) = CliHarness.Run("report", run);
        Assert.True(code == ExitCodes.Success, error);
        return output.Replace(run, "RUN", StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_where_the_charts_folder_goes_is_refused_as_a_file_with_the_fix()
    {
        File.WriteAllText(FileOf("report"), "mine");
        Assert.Equal("granet: RUN/report is a file, not a folder; the report draws its charts in the folder RUN/report: move the file away (or delete it), then report again.", Refused());
        Assert.Equal("mine", File.ReadAllText(FileOf("report")));
    }

    [Fact]
    public void The_undamaged_folder_is_reported_with_all_its_charts()
    {
        Assert.Equal($"report: {Path.Combine("RUN", "report.md")}\n", Reported().Replace("\r", string.Empty, StringComparison.Ordinal));
        Assert.Contains("Test accuracy **86.31 %** (epoch 2 of 2 trained), final density 0.1", ReportText, StringComparison.Ordinal);
        foreach (string chart in new[] { "loss", "accuracy", "density", "ever-active", "flops", "layers" })
        {
            Assert.True(File.Exists(Path.Combine(run, "report", chart + ".png")), chart);
        }
    }

    [Theory]
    [InlineData("metrics.jsonl", """{"epoch":"4"}""", """line 3: "epoch" must be a whole number from 1, not "4" """)]
    [InlineData("metrics.jsonl", """{"trainLoss":1}""", """line 3: "epoch" is missing (it must be a whole number from 1)""")]
    [InlineData("metrics.jsonl", """{"epoch":-1,"trainLoss":0.3,"trainAccuracy":80}""", """line 3: "epoch" must be a whole number from 1, not -1""")]
    [InlineData("metrics.jsonl", """{"epoch":2.5,"trainLoss":0.3,"trainAccuracy":80}""", """line 3: "epoch" must be a whole number from 1, not 2.5""")]
    [InlineData("metrics.jsonl", """{"epoch":2,"trainLoss":0.3,"trainAccuracy":80}""", """line 3: epoch 2 comes after epoch 2 (line 2); the epochs must go up, one line each""")]
    [InlineData("metrics.jsonl", """{"epoch":3,"trainLoss":"x","trainAccuracy":80}""", """line 3: "trainLoss" must be a number, not "x" """)]
    [InlineData("metrics.jsonl", """{"epoch":3,"trainLoss":1e400,"trainAccuracy":80}""", """line 3: "trainLoss" must be a number, not 1e400""")]
    [InlineData("metrics.jsonl", """{"epoch":3,"trainLoss":0.3}""", """line 3: "trainAccuracy" is missing (it must be a number)""")]
    [InlineData("metrics.jsonl", """{"epoch":3,"trainLoss":0.3,"trainAccuracy":80,"validationAccuracy":"x"}""", """line 3: "validationAccuracy" must be a number, not "x" """)]
    [InlineData("metrics.jsonl", """{"epoch":3,"trainLoss":0.3,"trainAccuracy":80,"inferenceFlopsRelative":[]}""", """line 3: "inferenceFlopsRelative" must be a number, not an array""")]
    [InlineData("mask-updates.jsonl", """{"step":"a"}""", """line 4: "step" must be a whole number from 0, not "a" """)]
    [InlineData("mask-updates.jsonl", """{"step":100}""", """line 4: "kind" is missing (it must be "initial", "prune" or "regenerate")""")]
    [InlineData("mask-updates.jsonl", """{"step":-5,"kind":"prune","density":0.5,"everActiveFraction":1}""", """line 4: "step" must be a whole number from 0, not -5""")]
    [InlineData("mask-updates.jsonl", """{"step":100,"kind":"grow","density":0.5,"everActiveFraction":1}""", """line 4: "kind" must be "initial", "prune" or "regenerate", not "grow" """)]
    [InlineData("mask-updates.jsonl", """{"step":100,"kind":"prune","everActiveFraction":1}""", """line 4: "density" is missing (it must be a number)""")]
    [InlineData("mask-updates.jsonl", """{"step":10,"kind":"prune","density":0.5,"everActiveFraction":1}""", """line 4: step 10 comes after step 50 (line 3); the steps must not go back""")]
    public void A_damaged_field_is_refused_naming_file_line_field_and_fix(string file, string appended, string expected)
    {
        File.AppendAllText(FileOf(file), appended + "\n");
        Assert.Equal($"granet: {Path.Combine("RUN", file)} {expected.TrimEnd()}{LineFix}", Refused());
    }

    [Theory]
    [InlineData("metrics.jsonl", "hello world", "line 3 is not valid JSON (cut short, or not written by 'granet train')")]
    [InlineData("metrics.jsonl", "[1,2]", "line 3 is an array, not a JSON object")]
    [InlineData("mask-updates.jsonl", "42", "line 4 is a number, not a JSON object")]
    public void A_line_that_is_not_a_json_object_is_refused_by_its_number(string file, string appended, string expected)
    {
        File.AppendAllText(FileOf(file), appended + "\n");
        Assert.Equal($"granet: {Path.Combine("RUN", file)} {expected}{LineFix}", Refused());
    }

    [Theory]
    [InlineData("metrics.jsonl", "line 2")]
    [InlineData("mask-updates.jsonl", "line 3")]
    public void A_last_line_cut_short_is_refused_by_its_number(string file, string line)
    {
        string text = File.ReadAllText(FileOf(file)).TrimEnd('\n');
        File.WriteAllText(FileOf(file), text[..^20]);
        Assert.Equal($"granet: {Path.Combine("RUN", file)} {line} is not valid JSON (cut short, or not written by 'granet train'){LineFix}", Refused());
    }

    [Fact]
    public void Blank_and_white_space_lines_are_skipped()
    {
        File.WriteAllText(FileOf("metrics.jsonl"), "\n   \n" + File.ReadAllText(FileOf("metrics.jsonl")) + "\t\n\n");
        File.AppendAllText(FileOf("mask-updates.jsonl"), "  \r\n");
        Reported();
        Assert.True(File.Exists(Path.Combine(run, "report", "loss.png")));
        Assert.True(File.Exists(Path.Combine(run, "report", "density.png")));
    }

    [Theory]
    [InlineData("\"outcome\": \"completed\"", "\"outcome\": 5", """: "outcome" must be "completed", "collapsed" or "diverged", not 5""")]
    [InlineData("\"outcome\": \"completed\"", "\"outcome\": \"finished\"", """: "outcome" must be "completed", "collapsed" or "diverged", not "finished" """)]
    [InlineData("\"testAccuracy\": 86.31", "\"testAccuracy\": \"x\"", """: "testAccuracy" must be a number, not "x" """)]
    [InlineData("\"testAccuracy\": 86.31", "\"testAccuracy\": null", """: "testAccuracy" must be a number, not null""")]
    [InlineData("\"testAccuracy\": 86.31", "\"testAccuracy\": -5", """: "testAccuracy" must be a number from 0 to 100, not -5""")]
    [InlineData("\"everActiveFraction\": 1,", "", """: "everActiveFraction" is missing (it must be a number)""")]
    [InlineData("\"bestEpoch\": 2", "\"bestEpoch\": 1.5", """: "bestEpoch" must be a whole number from 0, not 1.5""")]
    [InlineData("\"model\": \"lenet-300-100\"", "\"model\": 7", """: "model" must be a string, not 7""")]
    [InlineData("[ { \"name\": \"fc1.weight\", \"density\": 0.08 }, { \"name\": \"fc2.weight\", \"density\": 0.2 } ]", "5", """: "layers" must be an array of objects, not 5""")]
    [InlineData("{ \"name\": \"fc2.weight\", \"density\": 0.2 }", "{ \"name\": \"fc2.weight\", \"density\": \"x\" }", """, "layers" item 2: "density" must be a number, not "x" """)]
    [InlineData("{ \"name\": \"fc2.weight\", \"density\": 0.2 }", "[]", """, "layers" item 2 is an array, not an object""")]
    public void A_damaged_summary_is_refused_naming_the_field(string find, string replacement, string expected)
    {
        string text = File.ReadAllText(FileOf("summary.json"));
        Assert.Contains(find, text, StringComparison.Ordinal);
        File.WriteAllText(FileOf("summary.json"), text.Replace(find, replacement, StringComparison.Ordinal));
        Assert.Equal($"granet: {Path.Combine("RUN", "summary.json")}{expected.TrimEnd()}{SummaryFix}", Refused());
    }

    [Fact]
    public void A_summary_that_is_not_a_json_object_is_refused()
    {
        File.WriteAllText(FileOf("summary.json"), "[1,2]");
        Assert.Equal($"granet: {Path.Combine("RUN", "summary.json")} is an array, not a JSON object{SummaryFix}", Refused());
    }

    [Fact]
    public void A_summary_cut_short_is_refused_with_where_its_json_breaks_off()
    {
        File.WriteAllText(FileOf("summary.json"), "{\"outcome\":");
        string line = Refused();
        Assert.StartsWith($"granet: {Path.Combine("RUN", "summary.json")}: damaged JSON (", line, StringComparison.Ordinal);
        Assert.Contains("BytePositionInLine: 11", line, StringComparison.Ordinal);
        Assert.EndsWith(SummaryFix, line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_metrics_file_beside_a_summary_is_said_in_the_report_and_on_the_console()
    {
        File.Delete(FileOf("metrics.jsonl"));
        string output = Reported();
        const string Note = "metrics.jsonl is missing, so the report has no loss, accuracy or FLOPs charts; the file is written at the end of each epoch: restore it from a copy of the run, or train the run again.";
        Assert.Contains($"note: RUN: {Note}", output, StringComparison.Ordinal);
        Assert.Contains($"**Note**: {Note}", ReportText, StringComparison.Ordinal);
        Assert.Contains("Test accuracy **86.31 %**", ReportText, StringComparison.Ordinal);
        // What the other files hold is still drawn.
        Assert.True(File.Exists(Path.Combine(run, "report", "density.png")));
        Assert.False(File.Exists(Path.Combine(run, "report", "loss.png")));
    }

    [Fact]
    public void An_empty_metrics_file_beside_a_summary_is_said_in_the_report()
    {
        File.WriteAllText(FileOf("metrics.jsonl"), string.Empty);
        Assert.Contains("note: RUN: metrics.jsonl is empty, so the report has no loss, accuracy or FLOPs charts;", Reported(), StringComparison.Ordinal);
        Assert.Contains("**Note**: metrics.jsonl is empty", ReportText, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_metrics_file_without_a_summary_is_refused()
    {
        File.WriteAllText(FileOf("metrics.jsonl"), "\n");
        File.Delete(FileOf("summary.json"));
        Assert.Equal($"granet: {Path.Combine("RUN", "metrics.jsonl")} holds no epoch and the folder has no summary.json: there is nothing to report; restore the file from a copy of the run, or train the run again.", Refused());
    }

    [Fact]
    public void A_missing_mask_update_log_is_said_in_the_report()
    {
        File.Delete(FileOf("mask-updates.jsonl"));
        Assert.Contains("note: RUN: mask-updates.jsonl is missing, so the report has no density-schedule or ever-active charts;", Reported(), StringComparison.Ordinal);
        Assert.Contains("**Note**: mask-updates.jsonl is missing", ReportText, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(run, "report", "loss.png")));
    }

    [Fact]
    public void A_mask_update_log_that_begins_after_the_initial_masks_is_said_in_the_report()
    {
        // What a run resumed after its log was deleted writes: the updates from its checkpoint on.
        string log = FileOf("mask-updates.jsonl");
        var kept = File.ReadAllLines(log).Skip(2).ToArray();
        long first = System.Text.Json.JsonDocument.Parse(kept[0]).RootElement.GetProperty("step").GetInt64();
        File.WriteAllLines(log, kept);
        Assert.Contains($"note: RUN: mask-updates.jsonl begins at step {first}, not with the initial masks: the updates before it were not logged", Reported(), StringComparison.Ordinal);
        Assert.Contains($"**Note**: mask-updates.jsonl begins at step {first}", ReportText, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(run, "report", "density.png")));
    }

    [Fact]
    public void A_run_without_a_summary_is_reported_as_not_finished()
    {
        File.Delete(FileOf("summary.json"));
        Assert.Contains("note: RUN: summary.json is missing: the run has not finished (it was stopped, or is still training), so the report has no test accuracy; the charts show the 2 epochs it finished. Finish it with 'granet train --resume RUN'.", Reported(), StringComparison.Ordinal);
        Assert.Contains("**Note**: summary.json is missing: the run has not finished", ReportText, StringComparison.Ordinal);
        // Without config.json either, the report is titled with the folder's name; with it, as a finished run is, and said unfinished.
        Assert.StartsWith($"# {Path.GetFileName(run)}\n", ReportText.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        File.WriteAllText(FileOf("config.json"), """{ "model": "lenet-300-100", "dataset": "fashion-mnist", "sparsity": { "method": "gmp" } }""");
        Reported();
        Assert.StartsWith("# lenet-300-100 on fashion-mnist, gmp (unfinished)\n", ReportText.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_config_file_is_noted_and_the_configured_epochs_left_out()
    {
        File.WriteAllText(FileOf("config.json"), "[1]");
        Assert.Contains($"note: {Path.Combine("RUN", "config.json")}: ", Reported(), StringComparison.Ordinal);
        Assert.Contains("(epoch 2 of 2 trained),", ReportText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_that_is_not_a_finished_run_is_told_apart_by_what_it_is()
    {
        string Refusal(string folder)
        {
            var (code, output, error) = CliHarness.Run("report", folder);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Equal("", output);
            return error.Trim();
        }
        string missing = Path.Combine(run, "no-such");
        Assert.Equal($"granet: {missing}: no such folder; 'granet report' takes a run folder written by 'granet train'.", Refusal(missing));
        string sweep = Directory.CreateDirectory(Path.Combine(run, "sweep")).FullName;
        File.WriteAllText(Path.Combine(sweep, "results.csv"), "method\n");
        Assert.Equal($"granet: {sweep} holds a sweep (results.csv), not a run; 'granet report' takes one of its run folders (a cell, once one has finished an epoch); the sweep's own tables are in its results.md.", Refusal(sweep));
        // The example is a cell the sweep has (the first by name that has a run to report), not a made-up name.
        Directory.CreateDirectory(Path.Combine(sweep, "static-d0.1-s17"));
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(sweep, "rigl-d0.1-s18")).FullName, "metrics.jsonl"), "");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(sweep, "rigl-d0.1-s19")).FullName, "summary.json"), "{}");
        Assert.Equal($"granet: {sweep} holds a sweep (results.csv), not a run; 'granet report' takes one of its run folders (a cell, e.g. {Path.Combine(sweep, "rigl-d0.1-s18")}); the sweep's own tables are in its results.md.", Refusal(sweep));
        string study = Directory.CreateDirectory(Path.Combine(run, "study")).FullName;
        File.WriteAllText(Path.Combine(study, "study.json"), "{}");
        Assert.Equal($"granet: {study} holds a plasticity study, not a run; 'granet report' takes one of its run folders (none is there: a study continued with --from keeps none, and one of its own has not trained its base yet); the study's own tables are in its plasticity.md.", Refusal(study));
        // The runs named are those there: a study's base; each seed's; the run a --from study continued.
        string baseRun = Directory.CreateDirectory(Path.Combine(study, "base")).FullName;
        File.WriteAllText(Path.Combine(baseRun, "config.json"), "{}");
        Assert.Contains($"takes one of its run folders ({baseRun});", Refusal(study), StringComparison.Ordinal);
        string seeds = Directory.CreateDirectory(Path.Combine(run, "seeds")).FullName;
        foreach (int seed in new[] { 18, 17, 19 })
        {
            string seedStudy = Directory.CreateDirectory(Path.Combine(seeds, $"seed-{seed}", "base")).FullName;
            File.WriteAllText(Path.Combine(seedStudy, "..", "study.json"), "{}");
            File.WriteAllText(Path.Combine(seedStudy, "config.json"), "{}");
        }
        Assert.Contains($"takes one of its run folders ({Path.Combine(seeds, "seed-17", "base")}, {Path.Combine(seeds, "seed-18", "base")} and 1 more);", Refusal(seeds), StringComparison.Ordinal);
        string continued = Directory.CreateDirectory(Path.Combine(run, "continued")).FullName;
        File.WriteAllText(Path.Combine(continued, "study.json"), System.Text.Json.JsonSerializer.Serialize(new { from = baseRun, continueEpochs = 1 }));
        Assert.Contains($"takes one of its run folders ({baseRun});", Refusal(continued), StringComparison.Ordinal);
        // train --resume of a study's folder sends to the study's own command, or to those runs.
        var (code, _, error) = CliHarness.Run("train", "--resume", study);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"granet: {study} holds a plasticity study, not a run; continue it by running its own command again (its plasticity.md's 'Reproduce with' line: finished cells are kept, interrupted ones resumed), or give --resume one of its run folders ({baseRun}).", error.Trim());
        string started = Directory.CreateDirectory(Path.Combine(run, "started")).FullName;
        File.WriteAllText(Path.Combine(started, "config.json"), "{}");
        Assert.Equal($"granet: {Path.Combine(started, "metrics.jsonl")}: not found: the run has not finished an epoch yet (it was stopped, or is still training); continue it with 'granet train --resume {started}', then report.", Refusal(started));
    }
}
