using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GraNet.Cli.Commands;
using GraNet.Cli.Configuration;
using GraNet.Cli.Output;
using GraNet.Data;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Sparsity;
using GraNet.Sparsity.Criteria;
using GraNet.Training;
using static TorchSharp.torch;

namespace GraNet.Cli.Studies;

/// <summary>
/// <c>granet plasticity</c> (spec §7): trains once keeping checkpoints at chosen epochs (or reuses a
/// run), then for every (epoch, pruning rate, regeneration mode) prunes that share of the remaining
/// weights by global magnitude, optionally regenerates as many connections by gradient, continues
/// training with the masks held at the learning rate of that epoch (the rate the checkpoint was
/// being trained with, so that a learning-rate drop right after the checkpoint does not pass for
/// plasticity), and records the accuracies.
/// Finished cells are skipped, so a killed study continues where it stopped.
/// </summary>
public static class PlasticityCommand
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The continued training after pruning at base epoch e shuffles with seed <c>seed + SeedsPerBaseEpoch · e</c>: each epoch's cells their own batch order, the same for every rate and mode of that epoch.</summary>
    private const int SeedsPerBaseEpoch = 1000;

    public static Command Create(TextWriter output)
    {
        var train = new TrainOptions();
        var atEpochs = new Option<string>("--at-epochs") { Description = "Checkpoint epochs to prune at, e.g. 5,10,15", Required = true };
        var rates = new Option<string>("--prune-rates") { Description = "Shares of the remaining weights to prune, e.g. 0.2,0.5,0.9 (a control without pruning is always measured too)", DefaultValueFactory = _ => "0.2,0.5,0.9" };
        var continueEpochs = new Option<int>("--continue-epochs") { Description = "Epochs of continued training after pruning", DefaultValueFactory = _ => 2 };
        var regenerate = new Option<string>("--regenerate") { Description = "Regrow the pruned share by gradient after pruning: none, gradient, or both (each cell measured both ways)", DefaultValueFactory = _ => "both", HelpName = "none|gradient|both", CustomParser = r => TrainOptions.OneOf(r, "--regenerate", "none", "gradient", "both") };
        var start = new Option<StudyStart?>("--start") { Description = "dense, or sparse (a static ERK mask at --init-density) (default dense)", HelpName = "dense|sparse", CustomParser = r => TrainOptions.EnumOption<StudyStart>(r, "--start") };
        var seeds = new Option<int?>("--seeds") { Description = "Base runs, seeds from --seed on, each studied in STUDY/seed-N and averaged (mean ± std) in STUDY; a base run that collapses or diverges is replaced by the next seed (default: none, one base run in STUDY itself)" };
        var replacements = new Option<int>("--replacements") { Description = "With --seeds: seeds that may be tried in place of base runs that collapsed or diverged (later seeds already in --output always count)", DefaultValueFactory = _ => SeedPlan.DefaultReplacements };
        var from = new Option<string?>("--from") { Description = "Reuse the epoch-N.ckpt checkpoints of an earlier study's base run (STUDY/base) instead of training; its config.json decides the training options" };
        var command = new Command("plasticity", "The pruning-plasticity study: prune checkpoints at several rates, continue training, record the recovery.") { atEpochs, rates, continueEpochs, regenerate, start, seeds, replacements, from };
        train.AddTo(command);
        // Train's wording where the study means something else by the same option.
        train.InitDensity.Description = "With --start sparse: the density of the base run's static ERK mask, e.g. 0.5 (dense start: 1)";
        train.OutputDir.Description = "Study folder (default: a new folder under runs/); the same one continues a study";
        // The base run is dense or holds a static mask: it neither prunes nor regrows, so these never apply.
        Option[] schedule = [train.UpdateInterval, train.PruneStartEpoch, train.PruneEndEpoch, train.RegrowthRate, train.Growth, train.RigLStop, train.ClassifierRule];
        foreach (var refused in schedule.Concat([train.Method, train.FinalDensity, train.Resume]))
        {
            refused.Hidden = true; // always refused below: not in the study's help
        }
        command.SetAction(parse =>
        {
            if (parse.GetResult(train.Resume) is { Implicit: false })
            {
                throw new ArgumentException("--resume does not apply to the plasticity study: run the same command again with the same --output to continue a study (its base run resumes, finished cells are skipped).");
            }
            foreach (var perCell in new Option[] { train.Method, train.FinalDensity })
            {
                if (parse.GetResult(perCell) is { Implicit: false })
                {
                    throw new ArgumentException($"{perCell.Name} does not apply to the plasticity study; use --start dense|sparse and --init-density.");
                }
            }
            string? fromRun = GivenText.Require(parse.GetValue(from), "--from", "give the base run of an earlier plasticity study (STUDY/base), or leave the option out");
            if (fromRun is not null)
            {
                // The --from run's config.json decides the checkpoints and how the cells train; this command keeps the threads,
                // where the data is, its output folder and the study's own options. A --model or --dataset equal to the run's is harmless.
                var decided = train.GivenExcept(parse, train.Threads, train.DataDir, train.OutputDir, train.Model, train.Dataset).ToList();
                decided.AddRange(new Option[] { start, seeds }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name));
                if (decided.Count > 0)
                {
                    throw new ArgumentException($"--from {fromRun} reuses that run as its config.json trained it; drop {string.Join(", ", decided)}, or leave out --from to train a base run with {(decided.Count == 1 ? "it" : "them")}.");
                }
            }
            var startMode = parse.GetValue(start) ?? StudyStart.Dense;
            if (fromRun is null)
            {
                var ignored = schedule.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (ignored.Count > 0)
                {
                    throw new ArgumentException($"{string.Join(", ", ignored)} {(ignored.Count == 1 ? "does" : "do")} not apply to the plasticity study, whose base run neither prunes nor regrows (dense, or a static mask with --start sparse); drop {(ignored.Count == 1 ? "it" : "them")}.");
                }
                var sparseOnly = new Option[] { train.InitDensity, train.Distribution }.Where(o => startMode != StudyStart.Sparse && parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (sparseOnly.Count > 0)
                {
                    throw new ArgumentException($"{string.Join(", ", sparseOnly)} {(sparseOnly.Count == 1 ? "needs" : "need")} --start sparse (the base run is dense otherwise); add --start sparse, or drop {(sparseOnly.Count == 1 ? "it" : "them")}.");
                }
            }
            var (baseline, _, _) = train.Resolve(parse);
            train.RefuseUnused(parse, baseline.Training);
            baseline = startMode switch
            {
                StudyStart.Dense => baseline with { Sparsity = baseline.Sparsity with { Method = SparsityMethodKind.Dense } },
                _ => baseline with { Sparsity = baseline.Sparsity with { Method = SparsityMethodKind.Static, FinalDensity = baseline.Sparsity.InitDensity } },
            };
            if (startMode == StudyStart.Sparse && baseline.Sparsity.InitDensity >= 1)
            {
                throw new ArgumentException("--start sparse needs --init-density below 1, e.g. 0.5.");
            }
            var trained = fromRun is null ? null : ReadRun(fromRun);
            // The checkpoints come from the --from run when there is one: its length bounds them, not this command's --epochs.
            int runEpochs = trained?.Training.Epochs ?? baseline.Training.Epochs;
            var epochs = TrainOptions.ParseIntegers(parse.GetValue(atEpochs)!, "--at-epochs");
            if (epochs.GroupBy(e => e).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            {
                throw new ArgumentException(string.Create(Invariant, $"--at-epochs '{parse.GetValue(atEpochs)}' gives epoch {repeated.Key} more than once; give each checkpoint epoch once."));
            }
            if (runEpochs < 2)
            {
                // No checkpoint comes before the end of a 1-epoch run.
                throw new ArgumentException(trained is null
                    ? "--epochs 1 leaves no pruning point: a study prunes checkpoints before the end of the base run; give --epochs 2 or more."
                    : "the --from run trained 1 epoch, so it has no checkpoint before its end to prune; give a run of 2 or more epochs.");
            }
            if (epochs.Where(e => e < 1 || e >= runEpochs).Select(e => (int?)e).FirstOrDefault() is { } outside)
            {
                // A pruning point needs the base run's checkpoint of that epoch and the learning rate in force after it.
                throw new ArgumentException(string.Create(Invariant, $"--at-epochs {outside} must lie in 1..{runEpochs - 1}: a pruning point is a checkpoint before the end of {(trained is null ? $"the base run's {runEpochs} epochs (--epochs; raise it for later points)" : $"the --from run's {runEpochs} epochs")}, whose learning rate the pruned network continues with."));
            }
            var pruneRates = TrainOptions.ParseList(parse.GetValue(rates)!, "--prune-rates",
                r => double.TryParse(r, NumberStyles.Float, Invariant, out double v) && v > 0 && v < 1 ? v : throw new ArgumentException($"'{r}' is not a rate in (0, 1)."), "0.2,0.5,0.9");
            if (pruneRates.GroupBy(r => r).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                // Measured once either way: the study's "Reproduce with" line would keep the repetition as if it meant something.
                throw new ArgumentException(string.Create(Invariant, $"--prune-rates '{parse.GetValue(rates)}' gives rate {twice.Key} more than once; give each pruning rate once."));
            }
            // Its parser took one of these three (and refused any other as the other list-valued options do).
            RegenerationMode[] modes = parse.GetValue(regenerate) switch
            {
                "none" => [RegenerationMode.None],
                "gradient" => [RegenerationMode.Gradient],
                _ => [RegenerationMode.None, RegenerationMode.Gradient],
            };
            int k = parse.GetValue(continueEpochs);
            if (k < 1)
            {
                throw new ArgumentException($"--continue-epochs {k} must be at least 1.");
            }
            int seedCount = parse.GetValue(seeds) ?? 1;
            if (seedCount < 1)
            {
                throw new ArgumentException($"--seeds {seedCount} must be at least 1.");
            }
            if (trained is not null)
            {
                // The study uses the --from run's model and data set; an explicit one that differs would be ignored silently.
                if (parse.GetResult(train.Model) is { Implicit: false } && ModelRegistry.Get(baseline.Model).Name != ModelRegistry.Get(trained.Model).Name)
                {
                    throw new ArgumentException($"--model {baseline.Model} contradicts the --from run {fromRun}, which trained {trained.Model}; drop --model, or give a run of {baseline.Model}.");
                }
                if (parse.GetResult(train.Dataset) is { Implicit: false } && DatasetCatalog.Get(baseline.Dataset).Name != DatasetCatalog.Get(trained.Dataset).Name)
                {
                    throw new ArgumentException($"--dataset {baseline.Dataset} contradicts the --from run {fromRun}, which trained on {trained.Dataset}; drop --dataset, or give a run on {baseline.Dataset}.");
                }
            }
            string? given = parse.GetValue(train.OutputDir);
            var named = trained ?? baseline; // the default folder is named after the model and data set the study measures
            string folder = given ?? Path.Combine("runs", $"plasticity-{DateTime.Now.ToString("yyyyMMdd-HHmmss", Invariant)}-{named.Model}-{named.Dataset}");
            // A study of a --from run runs that run's kernels (and refuses --cpu-kernels); one that trains its base runs names its set.
            string commandLine = "./granet " + GraNet.IO.ShellQuoting.Join(parse.Tokens.Select(t => t.Value)) + (fromRun is null ? train.KernelsUnlessGiven(parse, baseline.CpuKernels) : string.Empty);
            // An explicit --seeds (even 1) asks for the study over seeds, with its replacement of a failed base run.
            bool overSeeds = parse.GetValue(seeds) is not null;
            int replacementCount = SeedPlan.RequireReplacements(parse.GetValue(replacements));
            if (overSeeds)
            {
                SeedPlan.RequireSeedRange(baseline.Training.Seed, seedCount, replacementCount);
            }
            if (!overSeeds && parse.GetResult(replacements) is { Implicit: false })
            {
                throw new ArgumentException("--replacements applies to a study over seeds (--seeds N), which replaces a base run that collapses or diverges; a study of one run has none: add --seeds 1, or drop --replacements.");
            }
            try
            {
                return overSeeds
                    ? PlasticitySeeds.Run(baseline, seedCount, epochs, pruneRates, modes, k, folder, commandLine, output, claimFolder: given is null, replacements: replacementCount, locator: train.Locator)
                    : Run(baseline, epochs, pruneRates, modes, k, folder, fromRun, commandLine, output, claimFolder: given is null, locator: train.Locator);
            }
            catch (OptionValueException e)
            {
                // Refused once the model and data are known (the base run's controller): named as Resolve names options.
                throw train.Named(e);
            }
        });
        return command;
    }

    /// <summary>Runs the study. Refuses, before anything is written, a folder whose base run or cells were made with other settings.</summary>
    /// <param name="claimFolder">The folder is a default name: claim a new one (<c>-2</c>, <c>-3</c>, … if taken) instead of continuing one.</param>
    /// <param name="locator">Where the data is looked for, and how its messages name the data folder (default: as <c>--data-dir</c>).</param>
    public static int Run(RunConfiguration baseline, IReadOnlyList<int> epochs, IReadOnlyList<double> rates, IReadOnlyList<RegenerationMode> modes, int continueEpochs, string folder, string? from, string commandLine, TextWriter output, bool claimFolder = false, DataLocator? locator = null)
    {
        if (!claimFolder && PlasticitySeeds.HoldsSeedStudies(folder))
        {
            throw new ArgumentException($"{folder} holds a study over several seeds (seed-N folders); continue it with its --seeds, or choose another --output.");
        }
        if (!claimFolder)
        {
            FolderContents.RequireNoOther(folder, FolderOutput.PlasticityStudy, "study");
        }
        var (code, _, baseRun) = RunStudy(baseline, epochs, rates, modes, continueEpochs, folder, from, commandLine, output, claimFolder, locator: locator);
        if (code == ExitCodes.TrainingFailed && from is null && baseRun.ReadOutcome() is { } outcome)
        {
            throw new ExitCodeException(code, $"the base run in {baseRun.Path} {outcome}, so there is nothing to measure; try another --seed, or a lower --lr, with another --output (or --seeds N, which replaces such a run by the next seed).");
        }
        return code;
    }

    /// <summary>The study of <see cref="Run"/>: its exit code, the cells the command asked for (when it succeeded) and its base run's folder (in the folder claimed, for a default name).</summary>
    internal static (int Code, IReadOnlyList<PlasticityCell> Cells, RunFolder BaseRun) RunStudy(RunConfiguration baseline, IReadOnlyList<int> epochs, IReadOnlyList<double> rates, IReadOnlyList<RegenerationMode> modes, int continueEpochs, string folder, string? from, string commandLine, TextWriter output, bool claimFolder, bool advise = true, DataLocator? locator = null)
    {
        locator ??= DataFolder.Locator();
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(epochs);
        ArgumentNullException.ThrowIfNull(output);
        var baseFolder = new RunFolder(from ?? Path.Combine(folder, "base"));
        if (from is not null)
        {
            var trained = ReadRun(from);
            // Where to find the data and how many threads to use are this command's to choose; the cells run the CPU kernels
            // the run was trained with where this CPU has them (else its best, which the command resolved).
            baseline = trained with
            {
                Threads = baseline.Threads,
                CpuKernels = trained.CpuKernels != GraNet.Runtime.CpuKernels.Auto && GraNet.Runtime.CpuKernelSets.IsSupported(trained.CpuKernels) ? trained.CpuKernels : baseline.CpuKernels,
                DataDir = baseline.DataDir ?? TrainOptions.SavedDataDir(trained.DataDir, trained.Dataset),
            };
            if (baseFolder.ReadOutcome() is { } outcome && SeedPlan.Failed(outcome))
            {
                throw new ExitCodeException(ExitCodes.TrainingFailed, $"--from {from}: that run {outcome}, so there is nothing to measure; give a run that trained.");
            }
            RequireCheckpoints(baseFolder, epochs, reused: true);
        }
        else
        {
            // Before the study folder holds anything (a study.json left by a refused command would bind the next one).
            ModelRegistry.Get(baseline.Model);
            DatasetCatalog.Get(baseline.Dataset);
            baseline.Training.Validate();
            baseline.Sparsity.Validate(baseline.Training.Epochs);
            RequireKeptWeights(baseline, rates);
        }
        var study = new PlasticityStudy(from is null ? null : Path.GetFullPath(from), continueEpochs);
        if (claimFolder)
        {
            // A new (or empty) folder: nothing in it to check.
            folder = RunFolder.Claim(folder);
            baseFolder = new RunFolder(from ?? Path.Combine(folder, "base"));
        }
        else
        {
            // Continuing a study: its base run and its cells must have been made with the settings this command gives them.
            if (from is null)
            {
                ConfigurationComparison.RequireSameRun(baseFolder, baseline);
            }
            if (PlasticityStudy.Read(folder) is { } measured)
            {
                measured.RequireSame(folder, study);
            }
        }
        if (advise)
        {
            Interruption.Advise($"finished cells are kept; run the same command again with --output {GraNet.IO.ShellQuoting.Quote(folder)} to continue.");
        }
        string cells = Path.Combine(folder, "cells");
        bool measuredBefore = Directory.Exists(cells) && Directory.EnumerateFiles(cells, "*.json").Any();
        Directory.CreateDirectory(folder);
        // One study at a time per folder (its base run has a lock of its own).
        using var locked = new RunFolder(folder).Lock();
        RunFolder.RemoveStudyTemporaries(folder); // left by a killed study
        if (PlasticityStudy.Read(folder) is null && !measuredBefore)
        {
            // A folder measured before study.json existed is left as it is: the settings its cells were measured with are unknown.
            study.Write(folder);
        }
        if (from is null && !File.Exists(baseFolder.SummaryFile))
        {
            bool resume = File.Exists(baseFolder.LastCheckpoint);
            output.WriteLine($"== base training{(resume ? " (resuming)" : string.Empty)}: {baseFolder.Path}");
            int code = TrainCommand.Execute(baseline, baseFolder, resume, output, epochs.ToHashSet(), locator: locator);
            if (code != ExitCodes.Success)
            {
                return (code, [], baseFolder);
            }
        }
        if (from is null && SeedPlan.Failed(baseFolder.ReadOutcome()))
        {
            // Measured before (a rerun): a collapsed base run has no plasticity to measure.
            return (ExitCodes.TrainingFailed, [], baseFolder);
        }
        RequireCheckpoints(baseFolder, epochs, reused: from is not null);
        var headers = RequireOwnCheckpoints(baseFolder, baseline, epochs, reused: from is not null);

        TorchRuntime.Configure(baseline.Threads, baseline.CpuKernels);
        var spec = DatasetCatalog.Get(baseline.Dataset);
        // The base run just trained in this process left its copy of the data set to the garbage collector: collect it
        // before loading another, or the study holds both.
        TorchRuntime.CollectGarbage();
        var (trainSet, testSet) = DatasetLoader.Load(spec, baseline.DataDir, locator);
        var data = TrainingData.Create(spec, trainSet, testSet, baseline.Training, baseline.EvaluationBatchSize);
        if (headers.Select(h => Trainer.OtherData(h, data)).FirstOrDefault(o => o is not null) is { } other)
        {
            // Continued training on other images than the base run's: the cells would measure another network's recovery.
            throw new DataException($"{trainSet.Folder} holds other {other} than the base run in {baseFolder.Path} used (their SHA-256 digests over images and labels differ): give --data-dir the folder it was trained with.");
        }
        var schedule = new LearningRateSchedule(baseline.Training, data.Train.BatchesPerEpoch);
        Directory.CreateDirectory(cells);
        var results = new List<PlasticityCell>();
        // Rate 0 is the control: the same continued training without pruning, which every pruned cell is read against.
        var requested = epochs.SelectMany(epoch => rates.Prepend(0).Distinct().SelectMany(rate => (rate == 0 ? [RegenerationMode.None] : modes).Select(mode => (Epoch: epoch, PruneRate: rate, Regeneration: mode)))).ToList();
        foreach (int epoch in epochs)
        {
            foreach (double rate in rates.Prepend(0).Distinct())
            {
                foreach (var mode in rate == 0 ? [RegenerationMode.None] : modes)
                {
                    string file = Path.Combine(cells, PlasticityCell.FileName(epoch, rate, mode));
                    PlasticityCell cell;
                    if (File.Exists(file))
                    {
                        cell = PlasticityCell.Read(file, epoch, rate, mode);
                        output.WriteLine($"== epoch {epoch}, {What(rate, mode)}: done");
                    }
                    else
                    {
                        output.WriteLine($"== epoch {epoch}, {What(rate, mode)}");
                        cell = Measure(baseline, data, spec, Trainer.EpochCheckpoint(baseFolder.Path, epoch), epoch, rate, mode, schedule.AtEpoch(epoch - 1), continueEpochs);
                        AtomicFile.WriteText(file, cell.ToJson());
                        output.WriteLine(string.Create(Invariant, $"   accuracy {cell.AccuracyBefore:F2} -> pruned {cell.AccuracyPruned:F2} -> continued {cell.AccuracyContinued:F2}; plasticity {cell.Plasticity:+0.00;-0.00}"));
                    }
                    results.Add(cell);
                    WriteOutputs(folder, results, requested.Skip(results.Count).ToList(), baseline, continueEpochs, commandLine);
                }
            }
        }
        output.WriteLine($"summary: {Path.Combine(folder, "plasticity.md")}");
        return (ExitCodes.Success, results, baseFolder);
    }

    private static string What(double rate, RegenerationMode mode) => rate == 0 ? "control (no pruning)" : string.Create(Invariant, $"prune {rate:R}, {EnumNames.Of(mode)}");

    /// <summary>The configuration of a run folder written by <c>granet train</c> (or a study's base run).</summary>
    private static RunConfiguration ReadRun(string path)
    {
        var run = new RunFolder(path);
        if (File.Exists(path))
        {
            throw new FileNotFoundException($"--from {path} is a file; --from takes a run folder: the base run of an earlier plasticity study (STUDY/base), which keeps the epoch-N.ckpt checkpoints.", path);
        }
        if (!File.Exists(run.ConfigFile))
        {
            string studyBase = Path.Combine(path, "base");
            throw new FileNotFoundException(File.Exists(new RunFolder(studyBase).ConfigFile)
                ? $"{run.ConfigFile}: not found; {path} is a study folder: give its base run, --from {GraNet.IO.ShellQuoting.Quote(studyBase)}."
                : $"{run.ConfigFile}: not found; --from takes the base run of an earlier plasticity study (STUDY/base), which keeps the epoch-N.ckpt checkpoints.", run.ConfigFile);
        }
        var configuration = ConfigurationJson.Deserialize(ConfigurationJson.ReadText(run.ConfigFile, RunFolder.ConfigFix), run.ConfigFile);
        // Its values are the file's: one edited out of range is named by file and key, as for --resume.
        FileValues.Require(configuration, run.ConfigFile, _ => true, (_, _) => false, configuration.Sparsity.Method);
        return configuration;
    }

    /// <param name="reused">The run is a <c>--from</c> run (else the study's own, finished base run).</param>
    private static void RequireCheckpoints(RunFolder run, IReadOnlyList<int> epochs, bool reused)
    {
        var missing = epochs.Where(e => !File.Exists(Trainer.EpochCheckpoint(run.Path, e))).ToList();
        if (missing.Count > 0)
        {
            var kept = Directory.Exists(run.Path)
                ? Directory.EnumerateFiles(run.Path).Select(Trainer.KeptEpoch).OfType<int>().Order().ToList()
                : [];
            string epochList = string.Join(",", epochs);
            if (kept.Count == 0)
            {
                // No epoch to choose among: a run of 'granet train' keeps no epoch-N.ckpt (train has no option for it); only a
                // study's base run keeps them, at its --at-epochs.
                throw new FileNotFoundException(reused
                    ? $"{run.Path}: no epoch-N.ckpt checkpoints to prune ('granet train' keeps none; a plasticity study's base run keeps those of its --at-epochs); give --from the base run of an earlier study (STUDY/base), or leave out --from to train a base run that keeps epoch(s) {epochList} (add --config {GraNet.IO.ShellQuoting.Quote(run.ConfigFile)} for this run's training options)."
                    : $"{run.Path}: no epoch-N.ckpt checkpoints to prune; delete {run.Path} and run the same command again to train the base run again, keeping epoch(s) {epochList} (measured cells are kept), or choose another --output.");
            }
            string remedy = reused
                ? "give --at-epochs among those, or run 'granet plasticity' without --from to train a base run that keeps them"
                : "give --at-epochs among those, or choose another --output to train a new base run that keeps them";
            throw new FileNotFoundException($"{run.Path}: no checkpoint for epoch(s) {string.Join(", ", missing)} (it keeps {string.Join(", ", kept)}); {remedy}.");
        }
    }

    /// <summary>
    /// Refuses, before the base run trains, a rate that would prune every weight its checkpoints hold: all the model's
    /// maskable weights from a dense start, its static mask's from a sparse one (about <c>--init-density</c> of them; the
    /// exact count is checked again per cell).
    /// </summary>
    private static void RequireKeptWeights(RunConfiguration baseline, IReadOnlyList<double> rates)
    {
        TorchRuntime.Configure(baseline.Threads, baseline.CpuKernels);
        var spec = DatasetCatalog.Get(baseline.Dataset);
        using var probe = ModelRegistry.Create(baseline.Model, spec.Shape, spec.Classes); // the base run seeds its own model
        using var masks = GraNet.Sparsity.Masks.MaskSet.ForModel(probe, null, baseline.Sparsity.DenseFirstLayer);
        long active = baseline.Sparsity.Method == SparsityMethodKind.Static ? (long)Math.Round(baseline.Sparsity.InitDensity * masks.Total) : masks.Total;
        if (rates.FirstOrDefault(rate => KeepsNone(rate, active)) is var rate and > 0)
        {
            throw new ArgumentException(PrunesAll(rate, active, "the base run's checkpoints"));
        }
    }

    /// <summary>Whether pruning the share <paramref name="rate"/> of <paramref name="active"/> weights keeps none (as <see cref="GlobalMagnitudePruner.PruneShare"/> rounds).</summary>
    private static bool KeepsNone(double rate, long active) => rate > 0 && GlobalMagnitudePruner.Kept(active, rate) < 1;

    private static string PrunesAll(double rate, long active, string what) =>
        string.Create(Invariant, $"--prune-rates {rate} would prune all {active:N0} active weights of {what}; give a lower rate, one that keeps at least one of them.");

    /// <summary>
    /// Refuses, before any cell is measured, an epoch checkpoint that another run wrote (a file copied in by hand): each is
    /// read whole (checksum) and its recorded model, data set and configuration must be the run's.
    /// </summary>
    /// <param name="reused">The run is a <c>--from</c> run (else the study's own base run, which is trained again once deleted).</param>
    /// <returns>The checkpoints' headers, in the order of <paramref name="epochs"/>.</returns>
    private static List<CheckpointHeader> RequireOwnCheckpoints(RunFolder run, RunConfiguration configuration, IReadOnlyList<int> epochs, bool reused)
    {
        var headers = new List<CheckpointHeader>();
        foreach (int epoch in epochs)
        {
            string path = Trainer.EpochCheckpoint(run.Path, epoch);
            CheckpointHeader header;
            try
            {
                header = Checkpoint.ReadVerifiedHeader(path);
            }
            catch (InvalidDataException e) when (e.Message.Contains(Checkpoint.Format.Fix, StringComparison.Ordinal))
            {
                // "Give another file" is no help: the study reads the run's own epoch checkpoints.
                string fix = reused
                    ? string.Create(Invariant, $"restore the file, or give --at-epochs without {epoch}")
                    : $"restore the file, or delete {run.Path} and run the same command again to train the base run again (measured cells are kept)";
                throw new InvalidDataException(e.Message.Replace(Checkpoint.Format.Fix, fix, StringComparison.Ordinal), e);
            }
            var written = ConfigurationJson.Deserialize(header.Configuration, path);
            string? other = header.EpochsCompleted != epoch ? string.Create(Invariant, $"it was kept after epoch {header.EpochsCompleted}, not {epoch}")
                : ConfigurationComparison.FirstDifference(written, configuration) is { } d ? $"its run had {OptionFlags.ForConfigKey(d.Key)} {d.Saved}, this one {d.Current}"
                : null;
            if (other is not null)
            {
                throw new InvalidDataException($"{path}: not this run's checkpoint ({other}); restore the run's own epoch-{epoch}.ckpt, or study the run that wrote it.");
            }
            headers.Add(header);
        }
        return headers;
    }

    private static PlasticityCell Measure(RunConfiguration baseline, TrainingData data, DatasetSpec spec, string checkpoint, int epoch, double rate, RegenerationMode mode, double learningRate, int continueEpochs)
    {
        manual_seed(baseline.Training.Seed + epoch);
        using var model = ModelRegistry.Create(baseline.Model, spec.Shape, spec.Classes);
        // Where oneDNN's convolutions were found wrong, they run the model's if they compute all of them right (as in train).
        using var convolutions = Commands.ConvolutionCheck.For(model, spec.Shape);
        using var controller = new SparsityController(baseline.Sparsity);
        using var restoring = new Trainer(model, data, baseline.Training, controller);
        Checkpoint.Load(checkpoint, model, restoring.Optimizer, controller);
        var masks = controller.Masks;
        double before = Trainer.Evaluate(model, data.Test);
        double densityBefore = masks.Density;
        long active = masks.Active;
        if (KeepsNone(rate, active))
        {
            // Every weight gone: the network's output no longer depends on its input, which is no measure of plasticity.
            throw new ArgumentException(PrunesAll(rate, active, string.Create(Invariant, $"the epoch-{epoch} checkpoint")));
        }
        long removed = new GlobalMagnitudePruner().PruneShare(masks, rate);
        masks.Apply();
        double pruned = Trainer.Evaluate(model, data.Test);
        if (mode == RegenerationMode.Gradient)
        {
            // As many connections as were pruned grow again, by the gradient of one training mini-batch.
            BackpropagateOneBatch(model, data, baseline.Training.Seed + epoch);
            GlobalGradientGrowth.Grow(masks, removed);
            model.zero_grad();
        }
        var held = masks.Layers.Select(l => l.Mask.clone()).ToList();
        try
        {
            using var hook = new FixedMaskHook(held, baseline.Sparsity.DenseFirstLayer);
            var options = baseline.Training with
            {
                Epochs = continueEpochs, LearningRate = learningRate, Schedule = LearningRateScheduleKind.Constant, WarmupEpochs = 0,
                Milestones = [], StopOnCollapse = false, Seed = baseline.Training.Seed + (SeedsPerBaseEpoch * epoch),
            };
            using var trainer = new Trainer(model, data with { Validation = null }, options, hook);
            var result = trainer.Run(null, false, (baseline.Model, baseline.Dataset, "{}"));
            return new PlasticityCell(epoch, rate, mode, learningRate, densityBefore, hook.Masks.Density, RunFolder.Percent(before), RunFolder.Percent(pruned), RunFolder.Percent(result.TestAccuracy));
        }
        finally
        {
            foreach (var mask in held)
            {
                mask.Dispose();
            }
        }
    }

    /// <summary>Leaves on the weights the gradient of the loss on one shuffled training mini-batch (drawn from <paramref name="seed"/>).</summary>
    private static void BackpropagateOneBatch(nn.Module<Tensor, Tensor> model, TrainingData data, int seed)
    {
        model.train();
        model.zero_grad();
        var batch = data.Train.Epoch(0, shuffle: true, augment: false, seed: seed).First();
        using var scope = NewDisposeScope();
        var (x, y) = Trainer.ToTensors(batch, data.Train.Shape);
        nn.functional.cross_entropy(model.call(x), y).backward();
    }

    /// <summary>The columns of <c>plasticity.csv</c>, one row per cell (<see cref="CsvRow"/>).</summary>
    internal const string CsvHeader = "epoch,pruneRate,regeneration,learningRate,densityBefore,densityAfter,accuracyBefore,accuracyPruned,accuracyContinued,plasticity";

    internal static string CsvRow(PlasticityCell c) =>
        string.Create(Invariant, $"{c.Epoch},{c.PruneRate},{EnumNames.Of(c.Regeneration)},{c.LearningRate:G12},{c.DensityBefore:0.######},{c.DensityAfter:0.######},{c.AccuracyBefore},{c.AccuracyPruned},{c.AccuracyContinued},{Math.Round(c.Plasticity, 2)}");

    /// <summary>
    /// Writes <c>plasticity.csv</c>, the charts and <c>plasticity.md</c> of <paramref name="cells"/> (the summary naming the
    /// <paramref name="missing"/> cells the command asked for that are not measured yet). All are written to temporary files
    /// first (the charts take longest), then renamed one right after the other, the CSV last: a study interrupted meanwhile
    /// leaves the three files of one set of cells, not a CSV row its summary and charts lack.
    /// </summary>
    private static void WriteOutputs(string folder, List<PlasticityCell> cells, IReadOnlyList<(int Epoch, double PruneRate, RegenerationMode Regeneration)> missing, RunConfiguration baseline, int continueEpochs, string commandLine)
    {
        var csv = new StringBuilder(CsvHeader).Append('\n');
        foreach (var c in cells)
        {
            csv.AppendLine(CsvRow(c));
        }
        var staged = new List<(string Temporary, string File)>();
        try
        {
            foreach (var (file, chart) in PlasticityCharts(cells, continueEpochs))
            {
                // The name Charts gives its own temporary file, which a rerun removes if a kill leaves it behind.
                string path = Path.Combine(folder, file);
                staged.Add((path + ".tmp.png", path));
                Charts.Plot(chart).SavePng(staged[^1].Temporary, ChartWidth, ChartHeight);
            }
            StageText(staged, Path.Combine(folder, "plasticity.md"), Summary(cells, baseline, continueEpochs, commandLine, missing));
            StageText(staged, Path.Combine(folder, "plasticity.csv"), csv.ToString());
            foreach (var (temporary, file) in staged)
            {
                File.Move(temporary, file, overwrite: true);
            }
        }
        finally
        {
            foreach (var (temporary, _) in staged.Where(s => File.Exists(s.Temporary)))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>The size of a chart, as <see cref="Charts.Lines"/> draws it.</summary>
    private const int ChartWidth = 800, ChartHeight = 500;

    /// <summary>Writes <paramref name="text"/> to the temporary file an <see cref="AtomicFile"/> write of <paramref name="path"/> would use, and adds it to <paramref name="staged"/> for the caller to rename (or delete).</summary>
    private static void StageText(List<(string Temporary, string File)> staged, string path, string text)
    {
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        staged.Add((temporary, path));
        using var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None);
        using (var writer = new StreamWriter(stream, leaveOpen: true))
        {
            writer.Write(text);
        }
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// <c>plasticity-MODE.png</c> for every regeneration mode (<see cref="PlasticityCharts"/>); for a study over
    /// <paramref name="seeds"/> seeds the cells are means, with an error bar each from <paramref name="errors"/>.
    /// </summary>
    internal static void DrawCharts(string folder, IReadOnlyList<PlasticityCell> cells, int continueEpochs, IReadOnlyDictionary<PlasticityCell, double>? errors = null, int? seeds = null)
    {
        foreach (var (file, chart) in PlasticityCharts(cells, continueEpochs, errors, seeds))
        {
            Charts.Lines(Path.Combine(folder, file), chart);
        }
    }

    /// <summary>
    /// The chart of every regeneration mode and its file name: plasticity against pruning rate, a line per epoch (the
    /// control at 0 %). Every chart has the same y range, from the lowest to the highest value (error bars included) of
    /// all of them, widened by 5 % of that span at each end, so that the modes can be compared by eye.
    /// </summary>
    public static IReadOnlyList<(string File, Charts.LineChart Chart)> PlasticityCharts(IReadOnlyList<PlasticityCell> cells, int continueEpochs, IReadOnlyDictionary<PlasticityCell, double>? errors = null, int? seeds = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var modes = cells.Where(c => !c.IsControl).Select(c => c.Regeneration).Distinct().ToList();
        if (modes.Count == 0)
        {
            return [];
        }
        double Error(PlasticityCell c) => errors is null ? 0 : errors[c];
        var drawn = cells.Where(c => modes.Contains(c.Regeneration) || c.IsControl).ToList();
        double low = drawn.Min(c => c.Plasticity - Error(c));
        double high = drawn.Max(c => c.Plasticity + Error(c));
        double margin = high > low ? 0.05 * (high - low) : 0.5;
        var charts = new List<(string, Charts.LineChart)>();
        foreach (var mode in modes)
        {
            string name = EnumNames.Of(mode);
            var series = cells.Where(c => c.Regeneration == mode || c.IsControl).GroupBy(c => c.Epoch).OrderBy(g => g.Key)
                .Select(g => new Charts.Series(string.Create(Invariant, $"epoch {g.Key} (lr {g.First().LearningRate:G3})"), g.Select(c => c.PruneRate * 100).ToArray(), g.Select(c => c.Plasticity).ToArray(),
                    errors is null ? null : g.Select(c => errors[c]).ToArray()))
                .ToList();
            string epochs = $"{continueEpochs} epoch{(continueEpochs == 1 ? string.Empty : "s")}";
            string title = seeds is null
                ? $"Pruning plasticity, regeneration: {name} ({epochs} of continued training)"
                : $"Plasticity, regeneration: {name} ({epochs} continued; mean ± std, {seeds} seeds)";
            charts.Add(($"plasticity-{name}.png", new Charts.LineChart(title, "pruning rate (%)", "plasticity (accuracy points)", series) { YRange = (low - margin, high + margin) }));
        }
        return charts;
    }

    /// <summary>What a cell does and what plasticity means: the paragraph that opens a study's summary.</summary>
    internal static string Explanation(int continueEpochs) =>
        string.Create(Invariant, $"Each cell prunes the given share of a checkpoint's remaining weights by global magnitude (\"pruned\": test accuracy right after), with regeneration `gradient` regrows as many connections by |gradient| of one mini-batch, starting at 0, then trains {continueEpochs} epoch(s) more with the masks held, at the learning rate the checkpoint's epoch was trained with and with a fresh optimizer (momentum starts at 0). Plasticity = test accuracy after that continued training minus the accuracy of the unpruned checkpoint (points). The control column (prune 0 %) is the same continued training without pruning: what continued training alone does to the checkpoint's accuracy.");

    /// <summary>
    /// The Markdown summary: the table of plasticity and the paper's three findings checked on these numbers. With
    /// <paramref name="missing"/> cells (a study not finished yet) it first says how many of the cells the command asked
    /// for it covers and which are still to be measured.
    /// </summary>
    public static string Summary(IReadOnlyList<PlasticityCell> cells, RunConfiguration baseline, int continueEpochs, string commandLine,
        IReadOnlyList<(int Epoch, double PruneRate, RegenerationMode Regeneration)>? missing = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(baseline);
        missing ??= [];
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Pruning plasticity: {baseline.Model} on {baseline.Dataset}");
        text.AppendLine();
        if (missing.Count > 0)
        {
            int asked = cells.Count + missing.Count;
            text.AppendLine(string.Create(Invariant, $"**Not finished: {cells.Count} of {asked} cells measured.** Not yet measured: {Missing(missing)}. The tables, charts and findings below cover the measured cells only; run the command below again, with this folder as its `--output`, to finish."));
            text.AppendLine();
        }
        text.AppendLine(Explanation(continueEpochs) + " Reproduce with:");
        text.AppendLine();
        text.AppendLine("```bash");
        text.AppendLine(commandLine);
        text.AppendLine("```");
        var modes = cells.Where(c => !c.IsControl).Select(c => c.Regeneration).Distinct().ToList();
        var rates = cells.Select(c => c.PruneRate).Distinct().Order().ToList();
        foreach (var mode in modes)
        {
            string name = EnumNames.Of(mode);
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"## Regeneration: {name}");
            text.AppendLine();
            if (mode == RegenerationMode.Gradient && cells.Any(c => c.Regeneration == mode && c.DensityBefore >= 1))
            {
                text.AppendLine("From a dense checkpoint the only inactive positions are the pruned ones, so regeneration regrows exactly them, at 0: these cells measure retraining the pruned weights from zero in a dense network, not another sparse network.");
                text.AppendLine();
            }
            text.AppendLine("| epoch (lr) | accuracy before | " + string.Join(" | ", rates.Select(r => r == 0 ? "control, no pruning: continued (change)" : $"prune {PlasticityCell.Percent(r)} %: pruned → continued (plasticity)")) + " |");
            text.AppendLine("|---|---|" + string.Concat(rates.Select(_ => "---|")));
            foreach (var group in cells.Where(c => c.Regeneration == mode || c.IsControl).GroupBy(c => c.Epoch).OrderBy(g => g.Key))
            {
                var row = rates.Select(r => group.FirstOrDefault(c => c.PruneRate == r) is { } c
                    ? c.IsControl
                        ? string.Create(Invariant, $"→ {c.AccuracyContinued:F2} ({c.Plasticity:+0.00;-0.00})")
                        : string.Create(Invariant, $"{c.AccuracyPruned:F2} → {c.AccuracyContinued:F2} ({c.Plasticity:+0.00;-0.00})")
                    : "–");
                text.AppendLine(string.Create(Invariant, $"| {group.Key} ({group.First().LearningRate:G3}) | {group.First().AccuracyBefore:F2} | ") + string.Join(" | ", row) + " |");
            }
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"![plasticity, {name}](plasticity-{name}.png)");
        }
        text.AppendLine();
        text.AppendLine("## The paper's findings, checked on these numbers");
        text.AppendLine();
        foreach (string line in Findings(cells, missing))
        {
            text.AppendLine("- " + line);
        }
        return text.ToString();
    }

    /// <summary>The cells not measured yet, by epoch: "at epoch 1: rate 0.9 (none, gradient); at epoch 2: the control, rate 0.5 (none)".</summary>
    private static string Missing(IReadOnlyList<(int Epoch, double PruneRate, RegenerationMode Regeneration)> missing) =>
        string.Join("; ", missing.GroupBy(m => m.Epoch).Select(epoch => string.Create(Invariant, $"at epoch {epoch.Key}: ") + string.Join(", ", epoch.GroupBy(m => m.PruneRate)
            .Select(rate => rate.Key == 0 ? "the control" : string.Create(Invariant, $"rate {rate.Key} ({string.Join(", ", rate.Select(m => EnumNames.Of(m.Regeneration)))})")))));

    /// <summary>
    /// What the numbers say about the paper's three findings, stated either way. A finding the cells cannot check says
    /// what would check it: the <paramref name="missing"/> cells the command asked for (a study not finished yet) if they
    /// would, else the option to give.
    /// </summary>
    public static IReadOnlyList<string> Findings(IReadOnlyList<PlasticityCell> cells, IReadOnlyList<(int Epoch, double PruneRate, RegenerationMode Regeneration)>? missing = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var pending = (missing ?? []).Where(m => m.PruneRate != 0).ToList();
        const string Pending = "run the command again to measure them";
        var lines = new List<string>();
        var controls = cells.Where(c => c.IsControl).OrderBy(c => c.Epoch).ToList();
        cells = cells.Where(c => !c.IsControl).ToList();
        if (controls.Count > 0)
        {
            string changes = string.Join(", ", controls.Select(c => string.Create(Invariant, $"{c.Plasticity:+0.00;-0.00} at epoch {c.Epoch}")));
            lines.Add($"Continued training alone (the control, no pruning) changes the accuracy by {changes}; a pruned cell's plasticity below its epoch's control is the cost of pruning.");
        }
        // A trend over pruning rates needs at least two of them in a series.
        var groups = cells.GroupBy(c => (c.Regeneration, c.Epoch)).Where(g => g.Select(c => c.PruneRate).Distinct().Count() > 1).ToList();
        if (groups.Count > 0)
        {
            int falling = groups.Count(g => FallsStrictly(g.OrderBy(c => c.PruneRate).Select(c => c.Plasticity).ToList()));
            string others = falling == groups.Count ? string.Empty : $"; in the other {groups.Count - falling} it stays level or rises somewhere";
            lines.Add($"Plasticity falls strictly as the pruning rate grows (each higher rate lower, at the two decimals shown) in {falling} of {groups.Count} (mode, epoch) series{others}.");
        }
        else if (cells.Count > 0)
        {
            // Said, so that a finding of the paper is not silently missing from the list.
            var asked = cells.Select(c => (c.Regeneration, c.Epoch, c.PruneRate)).Concat(pending.Select(m => (m.Regeneration, m.Epoch, m.PruneRate)));
            lines.Add(asked.GroupBy(c => (c.Regeneration, c.Epoch)).Any(g => g.Select(c => c.PruneRate).Distinct().Count() > 1)
                ? $"Whether plasticity falls as the pruning rate grows is not checked yet: every series measured so far has one pruning rate, and the cells of its other rates are still missing ({Pending})."
                : "Whether plasticity falls as the pruning rate grows is not checked: every series has one pruning rate (give --prune-rates two or more).");
        }
        // Continued training alone moves the accuracy too, most at a high learning rate: read against its epoch's control (measured
        // once per epoch, for both regeneration modes), a pruned cell's plasticity is what pruning costs or adds. Without a control
        // for every epoch the raw values are averaged, and the line says so.
        var control = controls.GroupBy(c => c.Epoch).ToDictionary(g => g.Key, g => g.First().Plasticity);
        var uncontrolled = cells.Select(c => c.Epoch).Where(e => !control.ContainsKey(e)).Distinct().Order().ToList();
        bool relative = uncontrolled.Count == 0;
        var byLearningRate = cells.GroupBy(c => c.LearningRate).OrderByDescending(g => g.Key)
            .Select(g => (Rate: g.Key, Mean: g.Average(c => relative ? c.Plasticity - control[c.Epoch] : c.Plasticity))).ToList();
        if (byLearningRate.Count > 1)
        {
            string means = string.Join(", ", byLearningRate.Select(b => string.Create(Invariant, $"lr {b.Rate:G3}: {b.Mean:+0.00;-0.00}")));
            string what = relative
                ? "Mean plasticity relative to the unpruned control (a pruned cell's plasticity minus its epoch's control)"
                : control.Count == 0
                    ? "Mean raw plasticity (no control measured, so it includes what continued training alone does)"
                    : $"Mean raw plasticity (no control at epoch {string.Join(", ", uncontrolled)}, so it includes what continued training alone does)";
            lines.Add($"{what} by learning rate at the checkpoint ({means}): it {(FallsStrictly(byLearningRate.Select(b => b.Mean).ToList()) ? "falls" : "does not fall")} at each decay of the learning rate.");
        }
        else if (cells.Count > 0)
        {
            // The learning rate of an epoch not measured yet is not known here: it may differ.
            var unmeasured = pending.Select(m => m.Epoch).Where(e => cells.All(c => c.Epoch != e)).Distinct().Order().ToList();
            lines.Add(unmeasured.Count > 0
                ? string.Create(Invariant, $"Whether plasticity falls as the learning rate decays is not checked yet: every checkpoint measured so far has the same learning rate, and the pruned cells of epoch {string.Join(", ", unmeasured)} are still missing ({Pending}).")
                : "Whether plasticity falls as the learning rate decays is not checked: every checkpoint has the same learning rate (give --at-epochs on both sides of a decay).");
        }
        var none = cells.Where(c => c.Regeneration == RegenerationMode.None).ToList();
        var grown = cells.Where(c => c.Regeneration == RegenerationMode.Gradient).ToList();
        if (none.Count > 0 && grown.Count > 0)
        {
            var pairs = none.Select(n => (n, g: grown.FirstOrDefault(g => g.Epoch == n.Epoch && g.PruneRate == n.PruneRate))).Where(p => p.g is not null).ToList();
            int higher = pairs.Count(p => p.g!.Plasticity > p.n.Plasticity);
            double gain = pairs.Average(p => p.g!.Plasticity - p.n.Plasticity);
            lines.Add(string.Create(Invariant, $"Regeneration raises plasticity in {higher} of {pairs.Count} cells (mean change {gain:+0.00;-0.00} points)."));
        }
        else if (cells.Count > 0)
        {
            var other = pending.Select(m => m.Regeneration).Where(r => cells.All(c => c.Regeneration != r)).Distinct().ToList();
            lines.Add(other.Count > 0
                ? $"Whether regeneration raises plasticity is not checked yet: the cells measured so far are {EnumNames.Of(cells[0].Regeneration)} only, and those with regeneration {string.Join(", ", other.Select(r => EnumNames.Of(r)))} are still missing ({Pending})."
                : "Whether regeneration raises plasticity is not checked: the cells were measured one way only (give --regenerate both).");
        }
        return lines;
    }

    /// <summary>
    /// Whether every value is below the one before, compared as the tables show them (two decimals): a level step
    /// (+0.40, +0.40) does not count as a fall, nor does a difference the tables do not show.
    /// </summary>
    private static bool FallsStrictly(IReadOnlyList<double> values) =>
        values.Zip(values.Skip(1), (a, b) => Math.Round(b, 2, MidpointRounding.AwayFromZero) < Math.Round(a, 2, MidpointRounding.AwayFromZero)).All(x => x);
}
