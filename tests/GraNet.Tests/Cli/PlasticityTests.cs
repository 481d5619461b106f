using GraNet.Cli;
using GraNet.Cli.Studies;
using Xunit;

namespace GraNet.Tests.Cli;

public class PlasticityTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-plasticity");
    private readonly string data;

    public PlasticityTests()
    {
        data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string[] Args(string output, params string[] extra) => ArgumentList.Build("plasticity",
        [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "3"), ("--batch-size", "32"), ("--lr", "0.05"),
            ("--threads", "1"), ("--at-epochs", "1,2"), ("--prune-rates", "0.5,0.9"), ("--continue-epochs", "1"), ("--output", output)],
        extra);

    [Fact]
    public void A_cell_record_is_read_back_and_a_damaged_or_foreign_one_is_refused_naming_the_file_and_the_fix()
    {
        string file = Path.Combine(root, "e2-p0.5-gradient.json");
        var cell = new PlasticityCell(2, 0.5, RegenerationMode.Gradient, 0.1, 0.4, 0.2, 81.5, 40.25, 80.0);
        File.WriteAllText(file, cell.ToJson());
        Assert.Equal(cell, PlasticityCell.Read(file, 2, 0.5, RegenerationMode.Gradient));

        string Refusal(string text)
        {
            File.WriteAllText(file, text);
            return Assert.Throws<InvalidDataException>(() => PlasticityCell.Read(file, 2, 0.5, RegenerationMode.Gradient)).Message;
        }
        string fix = "; delete it to measure the cell again.";
        string notRecord = $"{file}: not a cell record written by 'granet plasticity' (";
        // The mode is read by its name only: a number, or a name that is not a mode, is not a record. What is wrong is
        // named by the record's own field, never by a .NET type.
        string json = cell.ToJson();
        Assert.Contains("\"regeneration\": \"gradient\"", json, StringComparison.Ordinal);
        Assert.Equal(notRecord + "field 'regeneration' is 1, not \"none\" or \"gradient\")" + fix, Refusal(json.Replace("\"gradient\"", "1", StringComparison.Ordinal)));
        Assert.Equal(notRecord + "field 'regeneration' is \"random\", not \"none\" or \"gradient\")" + fix, Refusal(json.Replace("\"gradient\"", "\"random\"", StringComparison.Ordinal)));
        Assert.Equal(notRecord + "field 'regeneration' is missing)" + fix, Refusal(json.Replace("\"regeneration\": \"gradient\",", string.Empty, StringComparison.Ordinal)));
        Assert.Equal(notRecord + "field 'epoch' is 2.5, not a whole number)" + fix, Refusal(json.Replace("\"epoch\": 2", "\"epoch\": 2.5", StringComparison.Ordinal)));
        Assert.Equal(notRecord + "field 'accuracyPruned' is \"40.25\", not a finite number)" + fix, Refusal(json.Replace("40.25", "\"40.25\"", StringComparison.Ordinal)));
        Assert.Equal(notRecord + "field 'epoch' is given more than once)" + fix, Refusal(json.Replace("{", "{\"epoch\": 2,", StringComparison.Ordinal)));
        Assert.Equal(notRecord + "fields 'epoch', 'pruneRate', 'regeneration', 'learningRate', 'densityBefore', 'densityAfter', 'accuracyBefore', 'accuracyPruned', 'accuracyContinued' are missing)" + fix, Refusal("{\"x\":1}"));
        Assert.Equal(notRecord + "it holds an array, not an object of the cell's fields)" + fix, Refusal("[1]"));
        Assert.Equal(notRecord + "it holds 7, not an object of the cell's fields)" + fix, Refusal("7"));
        Assert.Equal($"{file}: not the record of this cell (it records epoch 2, rate 0.5, regeneration 'none', not epoch 2, rate 0.5, gradient){fix}", Refusal((cell with { Regeneration = RegenerationMode.None }).ToJson()));
        Assert.Equal($"{file}: not the record of this cell (an accuracy is outside [0, 100] %){fix}", Refusal((cell with { AccuracyContinued = -5 }).ToJson()));
        Assert.Equal($"{file}: not the record of this cell (a density is outside [0, 1]){fix}", Refusal((cell with { DensityAfter = 2 }).ToJson()));
        Assert.Equal($"{file}: not the record of this cell (it is empty){fix}", Refusal("null"));
        string cut = Refusal("{");
        Assert.StartsWith(notRecord + "not JSON at line 1: ", cut, StringComparison.Ordinal);
        Assert.EndsWith(fix, cut, StringComparison.Ordinal);
        Assert.StartsWith(notRecord + "not JSON at line 2: ", Refusal("{\n\"epoch\": 2,,"), StringComparison.Ordinal);
        foreach (string damaged in new[] { "[1]", "7", "{", "\"text\"", json.Replace("\"gradient\"", "1", StringComparison.Ordinal), json.Replace("2,", "[2],", StringComparison.Ordinal) })
        {
            Assert.DoesNotContain("GraNet.", Refusal(damaged), StringComparison.Ordinal);
            Assert.DoesNotContain("System.", Refusal(damaged), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Rates_that_differ_only_past_the_third_decimal_have_records_of_their_own()
    {
        Assert.Equal("e10-p0.5-gradient.json", PlasticityCell.FileName(10, 0.5, RegenerationMode.Gradient));
        Assert.Equal("e2-p0.1234-none.json", PlasticityCell.FileName(2, 0.1234, RegenerationMode.None));
        Assert.NotEqual(PlasticityCell.FileName(2, 0.1234, RegenerationMode.None), PlasticityCell.FileName(2, 0.1235, RegenerationMode.None));
        // Nor a column of the summaries: a rate in percent with its own digits, without float noise.
        Assert.Equal(["50", "90", "12.34", "12.35", "0.5"], new[] { 0.5, 0.9, 0.1234, 0.1235, 0.005 }.Select(PlasticityCell.Percent));
    }

    [Fact]
    public void The_study_measures_every_cell_writes_its_outputs_and_resumes_without_redoing_cells()
    {
        // A folder name the shell would split and misread: the line to reproduce quotes it.
        string folder = Path.Combine(root, "my study's");
        var error = new StringWriter();
        Assert.True(Runner.Run(Args(folder), new StringWriter(), error) == 0, error.ToString());

        string[] csv = File.ReadAllLines(Path.Combine(folder, "plasticity.csv"));
        Assert.Equal(11, csv.Length); // header + 2 epochs x (control + 2 rates x 2 modes)
        Assert.Equal(10, Directory.GetFiles(Path.Combine(folder, "cells")).Length);
        Assert.True(File.Exists(Path.Combine(folder, "base", "epoch-1.ckpt")));
        PngAssert.Valid(Path.Combine(folder, "plasticity-none.png"), 800, 500);
        PngAssert.Valid(Path.Combine(folder, "plasticity-gradient.png"), 800, 500);
        string summary = File.ReadAllText(Path.Combine(folder, "plasticity.md"));
        Assert.Contains("## Regeneration: gradient", summary, StringComparison.Ordinal);
        Assert.Contains("Regeneration raises plasticity in", summary, StringComparison.Ordinal);
        Assert.Contains("| control, no pruning: continued (change) | prune 50 %", summary, StringComparison.Ordinal);
        Assert.Contains("Continued training alone (the control, no pruning) changes the accuracy by ", summary, StringComparison.Ordinal);
        // The line to reproduce names the CPU kernels the runs used (the command gave none: auto resolved here).
        Assert.Contains($"--output '{root}/my study'\\''s' --cpu-kernels {GraNet.EnumNames.Of(GraNet.Runtime.TorchRuntime.Kernels!.Value)}\n", summary.ReplaceLineEndings("\n"), StringComparison.Ordinal);

        // Pruning 90 % of a dense network leaves 10 % of the weights; regeneration restores the count.
        var cells = csv.Skip(1).Select(l => l.Split(',')).ToList();
        // Continued training uses the rate each checkpoint's epoch was trained with: 3 epochs, decays after epochs 1 and 2.
        Assert.All(cells.Where(c => c[0] == "1"), c => Assert.Equal("0.05", c[3]));
        Assert.All(cells.Where(c => c[0] == "2"), c => Assert.Equal(0.005, double.Parse(c[3], System.Globalization.CultureInfo.InvariantCulture), 12));
        var none90 = cells.First(c => c[1] == "0.9" && c[2] == "none");
        var grown90 = cells.First(c => c[1] == "0.9" && c[2] == "gradient");
        Assert.Equal(0.1, double.Parse(none90[5], System.Globalization.CultureInfo.InvariantCulture), 3);
        Assert.Equal(1.0, double.Parse(grown90[5], System.Globalization.CultureInfo.InvariantCulture), 3);
        // The control of each epoch: no pruning, so it keeps every weight and starts from the checkpoint's own accuracy.
        var controls = cells.Where(c => c[1] == "0").ToList();
        Assert.Equal(["1", "2"], controls.Select(c => c[0]).ToArray());
        Assert.All(controls, c => Assert.Equal(("none", "1", "1"), (c[2], c[4], c[5])));
        Assert.All(controls, c => Assert.Equal(c[6], c[7]));

        File.Delete(Path.Combine(folder, "cells", PlasticityCell.FileName(2, 0.9, RegenerationMode.Gradient)));
        // What a study killed while writing a cell record or a table leaves behind goes when it is run again.
        string[] stale = [Path.Combine(folder, "cells", PlasticityCell.FileName(2, 0.9, RegenerationMode.Gradient) + ".11904.tmp"), Path.Combine(folder, "plasticity.csv.11905.tmp")];
        Array.ForEach(stale, f => File.WriteAllText(f, "{"));
        var again = new StringWriter();
        Assert.Equal(0, Runner.Run(Args(folder), again, error));
        Assert.All(stale, f => Assert.False(File.Exists(f)));
        Assert.Equal(9, again.ToString().Split('\n').Count(l => l.Contains(": done", StringComparison.Ordinal)));
        Assert.Equal(11, File.ReadAllLines(Path.Combine(folder, "plasticity.csv")).Length);
    }

    /// <summary>Standard output that stops the command (as Ctrl+C would) when it announces the cell starting with <paramref name="cell"/>.</summary>
    private sealed class StopBefore(string cell) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            if (value is not null && value.StartsWith(cell, StringComparison.Ordinal))
            {
                throw new OperationCanceledException("stopped before " + cell);
            }
            base.WriteLine(value);
        }
    }

    [Fact]
    public void A_study_stopped_between_cells_says_which_cells_its_summary_lacks_and_its_outputs_agree()
    {
        // Epoch 1, rates 0.5 and 0.9, both modes: 5 cells (control, 0.5 none, 0.5 gradient, 0.9 none, 0.9 gradient).
        // Stopped before the fourth, the outputs are those of the first three.
        string folder = Path.Combine(root, "stopped");
        string[] args = [.. Args(folder, "--at-epochs", "1")];
        Assert.NotEqual(0, Runner.Run(args, new StopBefore("== epoch 1, prune 0.9, none"), new StringWriter()));

        string[] csv = File.ReadAllLines(Path.Combine(folder, "plasticity.csv"));
        Assert.Equal(["0,none", "0.5,none", "0.5,gradient"], csv.Skip(1).Select(l => string.Join(',', l.Split(',')[1..3])).ToArray());
        string summary = File.ReadAllText(Path.Combine(folder, "plasticity.md"));
        Assert.Contains("**Not finished: 3 of 5 cells measured.** Not yet measured: at epoch 1: rate 0.9 (none, gradient). The tables, charts and findings below cover the measured cells only; run the command below again, with this folder as its `--output`, to finish.", summary, StringComparison.Ordinal);
        // The command gave two rates: the advice to give two is not what is missing.
        Assert.Contains("- Whether plasticity falls as the pruning rate grows is not checked yet: every series measured so far has one pruning rate, and the cells of its other rates are still missing (run the command again to measure them).", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("give --prune-rates two or more", summary, StringComparison.Ordinal);
        // The tables hold the measured cells: the control and 50 % columns, no 90 % one.
        Assert.Contains("| control, no pruning: continued (change) | prune 50 %: pruned → continued (plasticity) |\n", summary.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        PngAssert.Valid(Path.Combine(folder, "plasticity-none.png"), 800, 500);
        PngAssert.Valid(Path.Combine(folder, "plasticity-gradient.png"), 800, 500);
        Assert.Empty(Directory.GetFiles(folder, "*tmp*"));

        // Run again, the study finishes and its summary no longer says it is not.
        var error = new StringWriter();
        Assert.True(Runner.Run(args, new StringWriter(), error) == 0, error.ToString());
        Assert.Equal(6, File.ReadAllLines(Path.Combine(folder, "plasticity.csv")).Length);
        summary = File.ReadAllText(Path.Combine(folder, "plasticity.md"));
        Assert.DoesNotContain("Not finished", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("not checked yet", summary, StringComparison.Ordinal);
        Assert.Contains("| prune 90 %: pruned → continued (plasticity) |\n", summary.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_summary_of_an_unfinished_study_names_the_missing_cells_by_epoch_and_rate()
    {
        PlasticityCell Cell(int epoch, double rate, RegenerationMode mode) => new(epoch, rate, mode, 0.1, 1, 1 - rate, 90, 50, 88);
        var configuration = new GraNet.Cli.Configuration.RunConfiguration();
        string summary = PlasticityCommand.Summary([Cell(5, 0, RegenerationMode.None), Cell(5, 0.2, RegenerationMode.None)], configuration, 1, "./granet plasticity",
            [(5, 0.2, RegenerationMode.Gradient), (5, 0.9, RegenerationMode.None), (5, 0.9, RegenerationMode.Gradient), (10, 0, RegenerationMode.None), (10, 0.2, RegenerationMode.None)]);
        Assert.Contains("**Not finished: 2 of 7 cells measured.** Not yet measured: at epoch 5: rate 0.2 (gradient), rate 0.9 (none, gradient); at epoch 10: the control, rate 0.2 (none). ", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("Not finished", PlasticityCommand.Summary([Cell(5, 0.2, RegenerationMode.None)], configuration, 1, "./granet plasticity"), StringComparison.Ordinal);
        Assert.DoesNotContain("Not finished", PlasticityCommand.Summary([Cell(5, 0.2, RegenerationMode.None)], configuration, 1, "./granet plasticity", []), StringComparison.Ordinal);
    }

    [Fact]
    public void A_finding_the_missing_cells_would_check_says_not_yet_instead_of_advising_an_option_the_command_gave()
    {
        PlasticityCell Cell(int epoch, double rate, RegenerationMode mode) => new(epoch, rate, mode, 0.1, 1, 1 - rate, 90, 50, 88);
        // Measured: epoch 5, rate 0.2, none. Missing: rate 0.9 (a second rate), epoch 10 (perhaps another learning rate), and
        // the gradient cells (the other mode).
        var findings = PlasticityCommand.Findings([Cell(5, 0.2, RegenerationMode.None)],
            [(5, 0.2, RegenerationMode.Gradient), (5, 0.9, RegenerationMode.None), (10, 0, RegenerationMode.None), (10, 0.2, RegenerationMode.None)]);
        Assert.Equal([
            "Whether plasticity falls as the pruning rate grows is not checked yet: every series measured so far has one pruning rate, and the cells of its other rates are still missing (run the command again to measure them).",
            "Whether plasticity falls as the learning rate decays is not checked yet: every checkpoint measured so far has the same learning rate, and the pruned cells of epoch 10 are still missing (run the command again to measure them).",
            "Whether regeneration raises plasticity is not checked yet: the cells measured so far are none only, and those with regeneration gradient are still missing (run the command again to measure them).",
        ], findings);
        // Missing cells that would not check a finding leave its advice as it is: a missing control is no second rate, a
        // missing rate of an epoch and mode already measured brings no other learning rate and no other mode.
        Assert.Equal(PlasticityCommand.Findings([Cell(5, 0.2, RegenerationMode.None)]), PlasticityCommand.Findings([Cell(5, 0.2, RegenerationMode.None)], [(5, 0, RegenerationMode.None)]));
        var sameEpochAndMode = PlasticityCommand.Findings([Cell(5, 0.2, RegenerationMode.None)], [(5, 0.9, RegenerationMode.None)]);
        Assert.StartsWith("Whether plasticity falls as the pruning rate grows is not checked yet", sameEpochAndMode[0], StringComparison.Ordinal);
        Assert.Equal(PlasticityCommand.Findings([Cell(5, 0.2, RegenerationMode.None)]).Skip(1), sameEpochAndMode.Skip(1));
        Assert.Contains("(give --at-epochs on both sides of a decay)", sameEpochAndMode[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Findings_are_stated_from_the_numbers()
    {
        PlasticityCell Cell(int epoch, double rate, RegenerationMode mode, double lr, double continued) => new(epoch, rate, mode, lr, 1, 1 - rate, 90, 50, continued);
        var cells = new[]
        {
            Cell(5, 0.2, RegenerationMode.None, 0.1, 90), Cell(5, 0.9, RegenerationMode.None, 0.1, 85),
            Cell(15, 0.2, RegenerationMode.None, 0.01, 89), Cell(15, 0.9, RegenerationMode.None, 0.01, 80),
            Cell(5, 0.2, RegenerationMode.Gradient, 0.1, 90.5), Cell(5, 0.9, RegenerationMode.Gradient, 0.1, 87),
            Cell(15, 0.2, RegenerationMode.Gradient, 0.01, 89), Cell(15, 0.9, RegenerationMode.Gradient, 0.01, 83),
        };
        var findings = PlasticityCommand.Findings(cells);
        Assert.Equal("Plasticity falls strictly as the pruning rate grows (each higher rate lower, at the two decimals shown) in 4 of 4 (mode, epoch) series.", findings[0]);
        Assert.Contains("it falls at each decay of the learning rate", findings[1], StringComparison.Ordinal);
        Assert.Equal("Regeneration raises plasticity in 3 of 4 cells (mean change +1.38 points).", findings[2]);

        // Without controls the learning-rate finding averages raw plasticity, and says so.
        Assert.Equal("Mean raw plasticity (no control measured, so it includes what continued training alone does) by learning rate at the checkpoint (lr 0.1: -1.88, lr 0.01: -4.75): it falls at each decay of the learning rate.", findings[1]);

        // Controls (rate 0) are reported on their own and are not cells of a series over rates or of the regeneration pairs,
        // even one that rises above the pruned cells; the learning-rate finding reads each cell against its epoch's control.
        var withControls = PlasticityCommand.Findings([Cell(5, 0, RegenerationMode.None, 0.1, 80), Cell(15, 0, RegenerationMode.None, 0.01, 95.5), .. cells]);
        Assert.Equal("Continued training alone (the control, no pruning) changes the accuracy by -10.00 at epoch 5, +5.50 at epoch 15; a pruned cell's plasticity below its epoch's control is the cost of pruning.", withControls[0]);
        Assert.Equal(findings[0], withControls[1]);
        Assert.Equal(findings[2], withControls[3]);
    }

    [Fact]
    public void The_learning_rate_finding_reads_each_cell_against_its_epochs_control()
    {
        PlasticityCell Cell(int epoch, double rate, RegenerationMode mode, double lr, double continued) => new(epoch, rate, mode, lr, 1, 1 - rate, 90, 50, continued);
        // At lr 0.1 continued training alone gains 1 point, and the pruned cells gain less (+0.8, +0.6); at lr 0.01 the
        // control stays and the pruned cells gain (+0.4, +0.2). Raw means fall with the rate (+0.70, +0.30); against the
        // control they rise (0.8 - 1 and 0.6 - 1: -0.30; 0.4 - 0 and 0.2 - 0: +0.30).
        PlasticityCell[] cells =
        [
            Cell(5, 0, RegenerationMode.None, 0.1, 91.0), Cell(5, 0.5, RegenerationMode.None, 0.1, 90.8), Cell(5, 0.5, RegenerationMode.Gradient, 0.1, 90.6),
            Cell(15, 0, RegenerationMode.None, 0.01, 90.0), Cell(15, 0.5, RegenerationMode.None, 0.01, 90.4), Cell(15, 0.5, RegenerationMode.Gradient, 0.01, 90.2),
        ];
        Assert.Equal("Mean plasticity relative to the unpruned control (a pruned cell's plasticity minus its epoch's control) by learning rate at the checkpoint (lr 0.1: -0.30, lr 0.01: +0.30): it does not fall at each decay of the learning rate.",
            PlasticityCommand.Findings(cells).Single(f => f.StartsWith("Mean", StringComparison.Ordinal)));

        // Without the control of epoch 15 the finding falls back to the raw values, and names the epoch.
        Assert.Equal("Mean raw plasticity (no control at epoch 15, so it includes what continued training alone does) by learning rate at the checkpoint (lr 0.1: +0.70, lr 0.01: +0.30): it falls at each decay of the learning rate.",
            PlasticityCommand.Findings(cells.Where(c => c.Epoch != 15 || !c.IsControl).ToList()).Single(f => f.StartsWith("Mean", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_series_that_stays_level_between_two_rates_does_not_count_as_falling()
    {
        PlasticityCell Cell(int epoch, double rate, double continued) => new(epoch, rate, RegenerationMode.None, 0.1, 1, 1 - rate, 90, 50, continued);
        // Epoch 5: +0.40, +0.40, +0.12 (level from 20 to 50 %); epoch 10: +0.50, +0.30, +0.10 (falls at each step).
        // Epoch 15: +0.304, +0.296, +0.10, which the tables show as +0.30, +0.30, +0.10: level as shown.
        var findings = PlasticityCommand.Findings([
            Cell(5, 0.2, 90.40), Cell(5, 0.5, 90.40), Cell(5, 0.9, 90.12),
            Cell(10, 0.2, 90.50), Cell(10, 0.5, 90.30), Cell(10, 0.9, 90.10),
            Cell(15, 0.2, 90.304), Cell(15, 0.5, 90.296), Cell(15, 0.9, 90.10)]);
        Assert.Equal("Plasticity falls strictly as the pruning rate grows (each higher rate lower, at the two decimals shown) in 1 of 3 (mode, epoch) series; in the other 2 it stays level or rises somewhere.", findings[0]);
    }

    [Fact]
    public void The_charts_of_both_regeneration_modes_share_one_y_range()
    {
        PlasticityCell Cell(double rate, RegenerationMode mode, double continued) => new(1, rate, mode, 0.1, 1, 1 - rate, 90, 50, continued);
        // Without regeneration plasticity spans -0.4 .. +2.4, with it -1.0 .. +1.2; the control is 0.
        PlasticityCell[] cells = [Cell(0, RegenerationMode.None, 90), Cell(0.2, RegenerationMode.None, 92.4), Cell(0.9, RegenerationMode.None, 89.6), Cell(0.2, RegenerationMode.Gradient, 91.2), Cell(0.9, RegenerationMode.Gradient, 89)];
        var charts = PlasticityCommand.PlasticityCharts(cells, 1);
        Assert.Equal(["plasticity-none.png", "plasticity-gradient.png"], charts.Select(c => c.File).ToArray());
        // One range over both: -1.0 .. +2.4, widened by 5 % of its span of 3.4 (0.17) at each end.
        foreach (var (_, chart) in charts)
        {
            var (low, high) = chart.YRange!.Value;
            Assert.Equal(-1.17, low, 9);
            Assert.Equal(2.57, high, 9);
        }

        // Error bars of a study over seeds count: a mean of +2.4 ± 0.6 reaches +3.0 (span 4.0, margin 0.2).
        var errors = cells.ToDictionary(c => c, c => c.PruneRate == 0.2 && c.Regeneration == RegenerationMode.None ? 0.6 : 0);
        Assert.All(PlasticityCommand.PlasticityCharts(cells, 1, errors, seeds: 3), c => Assert.Equal(3.2, c.Chart.YRange!.Value.Max, 9));
    }

    [Fact]
    public void With_one_pruning_rate_no_trend_over_rates_is_claimed()
    {
        PlasticityCell Cell(int epoch, RegenerationMode mode, double continued) => new(epoch, 0.5, mode, 0.1, 1, 0.5, 90, 50, continued);
        var findings = PlasticityCommand.Findings([Cell(5, RegenerationMode.None, 88), Cell(5, RegenerationMode.Gradient, 89)]);
        Assert.DoesNotContain(findings, f => f.StartsWith("Plasticity falls", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.StartsWith("Regeneration raises plasticity in 1 of 1 cells", StringComparison.Ordinal));
        // A finding the cells cannot check is said to be unchecked, with what would check it, not left out.
        Assert.Contains("Whether plasticity falls as the pruning rate grows is not checked: every series has one pruning rate (give --prune-rates two or more).", findings);
        Assert.Contains("Whether plasticity falls as the learning rate decays is not checked: every checkpoint has the same learning rate (give --at-epochs on both sides of a decay).", findings);
        Assert.DoesNotContain(findings, f => f.StartsWith("Whether regeneration", StringComparison.Ordinal));
        var oneWay = PlasticityCommand.Findings([Cell(5, RegenerationMode.None, 88), Cell(6, RegenerationMode.None, 89) with { LearningRate = 0.01 }]);
        Assert.Contains("Whether regeneration raises plasticity is not checked: the cells were measured one way only (give --regenerate both).", oneWay);
        Assert.DoesNotContain(oneWay, f => f.StartsWith("Whether plasticity falls as the learning rate", StringComparison.Ordinal));
        Assert.Empty(PlasticityCommand.Findings([]));
    }

    /// <summary>A run folder of 6 epochs with a config.json and no checkpoints.</summary>
    private string SixEpochRun()
    {
        string run = Directory.CreateDirectory(Path.Combine(root, "six")).FullName;
        File.WriteAllText(Path.Combine(run, "config.json"), GraNet.Cli.Configuration.ConfigurationJson.Serialize(
            new GraNet.Cli.Configuration.RunConfiguration { Model = "lenet-300-100", Dataset = "fashion-mnist", Training = new GraNet.Training.TrainingOptions { Epochs = 6 } }));
        return run;
    }

    private string[] FromArgs(string run, string output, params string[] extra) => ArgumentList.Build("plasticity",
        [("--from", run), ("--data-dir", data), ("--threads", "1"), ("--at-epochs", "4"), ("--prune-rates", "0.5"), ("--continue-epochs", "1"), ("--regenerate", "none"), ("--output", output)],
        extra);

    [Fact]
    public void An_epoch_checkpoint_of_another_run_is_refused_before_any_cell_is_measured()
    {
        string[] Study(string output, string lr) => ArgumentList.Build("plasticity",
            [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "2"), ("--batch-size", "32"), ("--lr", lr),
                ("--threads", "1"), ("--at-epochs", "1"), ("--prune-rates", "0.5"), ("--regenerate", "none"), ("--continue-epochs", "1"), ("--output", output)], []);
        var error = new StringWriter();
        Assert.True(Runner.Run(Study(Path.Combine(root, "mine"), "0.05"), new StringWriter(), error) == 0, error.ToString());
        Assert.True(Runner.Run(Study(Path.Combine(root, "other"), "0.02"), new StringWriter(), error) == 0, error.ToString());
        string run = Path.Combine(root, "mine", "base");
        string checkpoint = Path.Combine(run, "epoch-1.ckpt");
        File.Copy(Path.Combine(root, "other", "base", "epoch-1.ckpt"), checkpoint, overwrite: true);

        var output = new StringWriter();
        error = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(FromArgs(run, Path.Combine(root, "from-foreign"), "--at-epochs", "1"), output, error));
        Assert.Equal($"granet: {checkpoint}: not this run's checkpoint (its run had --lr 0.02, this one 0.05); restore the run's own epoch-1.ckpt, or study the run that wrote it.", error.ToString().Trim());
        Assert.DoesNotContain("== epoch", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void With_from_other_images_than_the_base_runs_are_refused_before_any_cell_is_measured()
    {
        // The same files' names and counts, other pixels: continued training would measure another network's recovery.
        string[] study = ArgumentList.Build("plasticity",
            [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "2"), ("--batch-size", "32"), ("--lr", "0.05"),
                ("--threads", "1"), ("--at-epochs", "1"), ("--prune-rates", "0.5"), ("--regenerate", "none"), ("--continue-epochs", "1"), ("--output", Path.Combine(root, "mine"))], []);
        var error = new StringWriter();
        Assert.True(Runner.Run(study, new StringWriter(), error) == 0, error.ToString());
        string run = Path.Combine(root, "mine", "base");
        string redrawn = Directory.CreateDirectory(Path.Combine(root, "redrawn")).FullName;
        TestFiles.WriteTinyMnist(redrawn, seed: 2);

        var output = new StringWriter();
        error = new StringWriter();
        string[] from = [.. FromArgs(run, Path.Combine(root, "from-redrawn"), "--at-epochs", "1")];
        from[Array.IndexOf(from, "--data-dir") + 1] = redrawn;
        Assert.Equal(ExitCodes.BadInput, Runner.Run(from, output, error));
        Assert.Equal($"granet: {redrawn} holds other training and test images than the base run in {run} used (their SHA-256 digests over images and labels differ): give --data-dir the folder it was trained with.", error.ToString().Trim());
        Assert.DoesNotContain("== epoch", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, Runner.Run(FromArgs(run, Path.Combine(root, "from-own"), "--at-epochs", "1"), new StringWriter(), new StringWriter()));
    }

    [Fact]
    public void With_from_the_checkpoint_epochs_are_bounded_by_that_run()
    {
        // The --from run trained 6 epochs: its checkpoints lie in 1..5.
        string run = SixEpochRun();
        var inside = new StringWriter();
        Runner.Run(FromArgs(run, Path.Combine(root, "study-4")), new StringWriter(), inside);
        Assert.DoesNotContain("must lie in", inside.ToString(), StringComparison.Ordinal);
        var outside = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(FromArgs(run, Path.Combine(root, "study-6"), "--at-epochs", "6"), new StringWriter(), outside));
        Assert.Equal("granet: --at-epochs 6 must lie in 1..5: a pruning point is a checkpoint before the end of the --from run's 6 epochs, whose learning rate the pruned network continues with.", outside.ToString().Trim());
        var zero = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(FromArgs(run, Path.Combine(root, "study-0"), "--at-epochs", "0"), new StringWriter(), zero));
        Assert.StartsWith("granet: --at-epochs 0 must lie in 1..5:", zero.ToString().Trim(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--lr", "0.01")]
    [InlineData("--epochs", "5")]
    [InlineData("--seed", "3")]
    [InlineData("--init-density", "0.5")]
    [InlineData("--start", "sparse")]
    [InlineData("--batch-size", "64")]
    [InlineData("--tensorboard", "tb")]
    [InlineData("--preset", "quick")]
    [InlineData("--config", "settings.json")]
    [InlineData("--validation", "0.2")]
    [InlineData("--cpu-kernels", "baseline")]
    public void With_from_an_option_the_run_decides_is_refused(string option, string value)
    {
        string run = SixEpochRun();
        string output = Path.Combine(root, "refused");
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(FromArgs(run, output, option, value), new StringWriter(), error));
        Assert.Equal($"granet: --from {run} reuses that run as its config.json trained it; drop {option}, or leave out --from to train a base run with it.", error.ToString().Trim());
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void With_from_every_option_the_run_decides_is_named_at_once()
    {
        string run = SixEpochRun();
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(FromArgs(run, Path.Combine(root, "refused"), "--seed", "3", "--lr", "0.01", "--dense-first", "true"), new StringWriter(), error));
        Assert.Equal($"granet: --from {run} reuses that run as its config.json trained it; drop --lr, --seed, --dense-first, or leave out --from to train a base run with them.", error.ToString().Trim());
    }

    [Fact]
    public void With_from_the_command_keeps_threads_data_output_and_a_model_and_data_set_equal_to_the_runs()
    {
        // Nothing is refused: the study goes on to look for the run's checkpoints.
        string run = SixEpochRun();
        var error = new StringWriter();
        Runner.Run(FromArgs(run, Path.Combine(root, "kept"), "--model", "lenet-300-100", "--dataset", "fashion-mnist"), new StringWriter(), error);
        Assert.Contains($"granet: {run}: no epoch-N.ckpt checkpoints to prune", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_from_run_that_keeps_no_epoch_checkpoints_says_where_they_come_from_instead_of_choosing_among_none()
    {
        // A run of 'granet train' (config.json, no epoch-N.ckpt): there are no epochs to choose among, and train has no
        // option that keeps them; a study trains a base run that does, with the run's training options by --config.
        string run = SixEpochRun();
        string output = Path.Combine(root, "from-train");
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(FromArgs(run, output, "--at-epochs", "2,4"), new StringWriter(), error));
        Assert.Equal($"granet: {run}: no epoch-N.ckpt checkpoints to prune ('granet train' keeps none; a plasticity study's base run keeps those of its --at-epochs); give --from the base run of an earlier study (STUDY/base), or leave out --from to train a base run that keeps epoch(s) 2,4 (add --config {Path.Combine(run, "config.json")} for this run's training options).",
            error.ToString().Trim());
    }

    [Fact]
    public void A_folder_in_the_place_of_a_kept_epoch_checkpoint_is_refused_before_the_base_run_trains()
    {
        // It trained epoch 1 and failed only when keeping that epoch's checkpoint.
        string folder = Path.Combine(root, "taken");
        string kept = Directory.CreateDirectory(Path.Combine(folder, "base", "epoch-1.ckpt")).FullName;
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(Args(folder), new StringWriter(), error));
        Assert.Equal($"granet: {kept} is a folder where a file is written; move it away, then run the same command again to continue (what has finished is kept).", error.ToString().Trim());
        Assert.False(File.Exists(Path.Combine(folder, "base", "last.ckpt"))); // nothing trained
    }

    [Fact]
    public void Checkpoint_epochs_must_lie_inside_the_run()
    {
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(Args(Path.Combine(root, "bad"), "--at-epochs", "3"), new StringWriter(), error));
        Assert.Contains("--at-epochs", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_sparse_start_prunes_a_share_of_the_remaining_weights()
    {
        string folder = Path.Combine(root, "sparse");
        var error = new StringWriter();
        string[] args = [.. Args(folder, "--at-epochs", "1", "--prune-rates", "0.5", "--regenerate", "none", "--start", "sparse", "--init-density", "0.4")];
        Assert.True(Runner.Run(args, new StringWriter(), error) == 0, error.ToString());
        var cell = File.ReadAllLines(Path.Combine(folder, "plasticity.csv")).Select(l => l.Split(',')).Single(c => c[1] == "0.5");
        Assert.Equal(0.4, double.Parse(cell[4], System.Globalization.CultureInfo.InvariantCulture), 3);
        Assert.Equal(0.2, double.Parse(cell[5], System.Globalization.CultureInfo.InvariantCulture), 3);
    }

    [Fact]
    public void With_a_dense_first_layer_the_cells_prune_and_hold_the_other_layers()
    {
        // The first layer has no mask: the continued training must hold the masks of the other layers only.
        string folder = Path.Combine(root, "dense-first");
        var error = new StringWriter();
        string[] args = [.. Args(folder, "--at-epochs", "1", "--prune-rates", "0.5", "--regenerate", "none", "--dense-first", "true")];
        Assert.True(Runner.Run(args, new StringWriter(), error) == 0, error.ToString());
        var cell = File.ReadAllLines(Path.Combine(folder, "plasticity.csv")).Select(l => l.Split(',')).Single(c => c[1] == "0.5");
        Assert.Equal(0.5, double.Parse(cell[5], System.Globalization.CultureInfo.InvariantCulture), 3);
    }

    [Theory]
    [InlineData("dense", "--update-interval", "50", "--update-interval does not apply to the plasticity study, whose base run neither prunes nor regrows (dense, or a static mask with --start sparse); drop it.")]
    [InlineData("dense", "--init-density", "0.5", "--init-density needs --start sparse (the base run is dense otherwise); add --start sparse, or drop it.")]
    [InlineData("sparse", "--regrowth-rate", "0.3", "--regrowth-rate does not apply to the plasticity study, whose base run neither prunes nor regrows (dense, or a static mask with --start sparse); drop it.")]
    public void Options_of_a_pruning_schedule_or_of_a_sparse_start_that_the_base_run_would_ignore_are_refused(string start, string option, string value, string message)
    {
        string folder = Path.Combine(root, "ignored");
        var error = new StringWriter();
        string[] extra = start == "sparse" ? ["--start", start, "--init-density", "0.5", option, value] : ["--start", start, option, value];
        Assert.Equal(ExitCodes.BadArguments, Runner.Run(Args(folder, extra), new StringWriter(), error));
        Assert.Equal("granet: " + message, error.ToString().Trim());
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_damaged_epoch_checkpoint_of_the_base_run_is_told_to_be_trained_again_by_deleting_the_base_run()
    {
        string folder = Path.Combine(root, "damaged-base");
        var error = new StringWriter();
        string[] args = [.. Args(folder, "--at-epochs", "1", "--prune-rates", "0.5", "--regenerate", "none")];
        Assert.True(Runner.Run(args, new StringWriter(), error) == 0, error.ToString());
        string baseRun = Path.Combine(folder, "base");
        TestFiles.CutShort(Path.Combine(baseRun, "epoch-1.ckpt"));
        Directory.Delete(Path.Combine(folder, "cells"), recursive: true);
        var refused = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Runner.Run(args, new StringWriter(), refused));
        Assert.EndsWith($"restore the file, or delete {baseRun} and run the same command again to train the base run again (measured cells are kept).", refused.ToString().Trim(), StringComparison.Ordinal);
        Directory.Delete(baseRun, recursive: true);
        Assert.True(Runner.Run(args, new StringWriter(), error) == 0, error.ToString());
    }

    [Fact]
    public void A_rate_that_would_prune_every_weight_is_refused_naming_the_rate_that_keeps_one()
    {
        // 0.9999999 is inside (0, 1) but keeps round(1e-7 x 266,200) = 0 weights: a cell of an empty network.
        string folder = Path.Combine(root, "everything");
        var refused = new StringWriter();
        Assert.Equal(ExitCodes.BadArguments, Runner.Run([.. Args(folder, "--at-epochs", "1", "--prune-rates", "0.5,0.9999999", "--regenerate", "none")], new StringWriter(), refused));
        Assert.Equal("granet: --prune-rates 0.9999999 would prune all 266,200 active weights of the base run's checkpoints; give a lower rate, one that keeps at least one of them.", refused.ToString().Trim());
        Assert.False(Directory.Exists(folder)); // refused before the base run trains
    }

    [Fact]
    public void A_finished_base_run_without_a_requested_checkpoint_says_which_it_keeps()
    {
        string folder = Path.Combine(root, "kept-1");
        var error = new StringWriter();
        string[] first = [.. Args(folder, "--at-epochs", "1", "--prune-rates", "0.5", "--regenerate", "none")];
        Assert.True(Runner.Run(first, new StringWriter(), error) == 0, error.ToString());
        string[] more = [.. Args(folder, "--at-epochs", "1,2", "--prune-rates", "0.5", "--regenerate", "none")];
        Assert.NotEqual(0, Runner.Run(more, new StringWriter(), error));
        Assert.Contains("no checkpoint for epoch(s) 2 (it keeps 1); give --at-epochs among those, or choose another --output to train a new base run that keeps them.", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_summary_says_when_regeneration_from_a_dense_checkpoint_only_resets_the_pruned_weights()
    {
        PlasticityCell Cell(RegenerationMode mode, double densityBefore) => new(5, 0.5, mode, 0.1, densityBefore, mode == RegenerationMode.None ? densityBefore / 2 : densityBefore, 90, 50, 88);
        var configuration = new GraNet.Cli.Configuration.RunConfiguration();
        string dense = PlasticityCommand.Summary([Cell(RegenerationMode.None, 1), Cell(RegenerationMode.Gradient, 1)], configuration, 1, "./granet plasticity");
        string sparse = PlasticityCommand.Summary([Cell(RegenerationMode.None, 0.5), Cell(RegenerationMode.Gradient, 0.5)], configuration, 1, "./granet plasticity");
        Assert.Contains("regeneration regrows exactly them, at 0", dense, StringComparison.Ordinal);
        Assert.DoesNotContain("regeneration regrows exactly them", sparse, StringComparison.Ordinal);
        Assert.Contains("with a fresh optimizer (momentum starts at 0)", sparse, StringComparison.Ordinal);
    }

    [Fact]
    public void From_a_study_folder_points_to_its_base_run()
    {
        string study = Directory.CreateDirectory(Path.Combine(root, "earlier")).FullName;
        string run = Directory.CreateDirectory(Path.Combine(study, "base")).FullName;
        File.WriteAllText(Path.Combine(run, "config.json"), GraNet.Cli.Configuration.ConfigurationJson.Serialize(new GraNet.Cli.Configuration.RunConfiguration { Model = "lenet-300-100" }));
        var error = new StringWriter();
        Assert.NotEqual(0, Runner.Run(FromArgs(study, Path.Combine(root, "again")), new StringWriter(), error));
        Assert.Contains($"{study} is a study folder: give its base run, --from {run}.", error.ToString(), StringComparison.Ordinal);
    }
}
