using System.CommandLine;
using System.Globalization;
using GraNet.Cli.Configuration;
using GraNet.Cli.Output;
using GraNet.Data;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Sparsity;
using GraNet.Training;
using static TorchSharp.torch;

namespace GraNet.Cli.Commands;

/// <summary><c>granet train</c>: resolves the configuration once, then trains and writes the run folder.</summary>
public static class TrainCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var o = new TrainOptions();
        var command = new Command("train", "Train a model (dense or sparse) and write config.json, metrics.jsonl, summary.json and checkpoints to the output folder.");
        o.AddTo(command);
        command.SetAction(parse =>
        {
            var (configuration, folder, resume) = o.Resolve(parse, refuseUnused: true);
            if (!resume)
            {
                // A run's files would land among a study's cells and results.
                Studies.FolderContents.RequireNoOther(folder.Path, Studies.FolderOutput.Run, "run");
            }
            if (resume && OutcomeOrNull(folder) == "diverged")
            {
                // Its losses turned NaN: continuing repeats the same steps (from the start, or from the last epoch kept) into the same NaN.
                throw new ExitCodeException(ExitCodes.TrainingFailed, $"{folder.Path} holds a run that diverged (see its summary.json); a --resume would repeat it: train with other options (a lower --lr, --warmup-epochs) in another --output.");
            }
            if (!resume && folder.HoldsRun)
            {
                // Training would overwrite its config.json, metrics, summary and checkpoints.
                throw new ArgumentException(folder.ReadOutcome() is { } outcome && Studies.SeedPlan.Failed(outcome)
                    ? $"{folder.Path} holds a run that {outcome}; a --resume cannot change its options: train with other options in another --output (or delete the folder)."
                    : $"{folder.Path} already holds a run; continue it with {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", folder.Path)}, or choose another --output.");
            }
            int code;
            try
            {
                code = Execute(configuration, folder, resume, output, adviseResume: true, locator: o.Locator);
            }
            catch (OptionValueException e)
            {
                // Refused once the model and data are known (e.g. a density that leaves a layer no weight): named as Resolve names them.
                throw o.Named(e);
            }
            if (code == ExitCodes.TrainingFailed)
            {
                error.WriteLine($"granet: training in {folder.Path} collapsed (training loss not below chance) and was stopped; the note above says what to change.");
            }
            return code;
        });
        return command;
    }

    /// <summary>The outcome in the folder's summary.json, or null when it has none or it is damaged (a resume writes it again).</summary>
    private static string? OutcomeOrNull(RunFolder folder)
    {
        try
        {
            return folder.ReadOutcome();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Trains with a resolved configuration. Returns the exit code.</summary>
    /// <param name="keepEpochs">Epochs after which a copy of the checkpoint is kept (<c>epoch-N.ckpt</c>).</param>
    /// <param name="adviseResume">On an interruption, advise <c>granet train --resume</c> of this folder (a study advises rerunning itself instead).</param>
    /// <param name="locator">Where the data is looked for, and how its messages name the data folder (default: as <c>--data-dir</c>).</param>
    public static int Execute(RunConfiguration configuration, RunFolder folder, bool resume, TextWriter output, IReadOnlySet<int>? keepEpochs = null, bool adviseResume = false, DataLocator? locator = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(output);
        configuration.Training.Validate();
        configuration.Sparsity.Validate(configuration.Training.Epochs);
        var written = folder.RunFiles.Append(folder.BestCheckpoint + ".next").Append(Path.Combine(folder.Path, RunFolder.LockFileName))
            .Concat((keepEpochs ?? new HashSet<int>()).Order().Select(epoch => Trainer.EpochCheckpoint(folder.Path, epoch)));
        if (written.FirstOrDefault(Directory.Exists) is { } taken)
        {
            // A folder with the name of a file the run writes (last.ckpt made a folder, an archive unpacked over the run):
            // refused before anything trains, not when the first epoch's checkpoint is written (and a resume would have
            // found no last.ckpt and started again from epoch 1).
            string then = !adviseResume ? "run the same command again to continue (what has finished is kept)"
                : File.Exists(folder.ConfigFile) ? $"continue with {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", folder.Path)}"
                : "run the command again";
            throw new ExitCodeException(ExitCodes.BadInput, $"{taken} is a folder where a file is written; move it away, then {then}.");
        }
        var spec = DatasetCatalog.Get(configuration.Dataset);
        var modelInfo = ModelRegistry.Get(configuration.Model);
        TorchRuntime.Configure(configuration.Threads, configuration.CpuKernels);
        var (train, test) = DatasetLoader.Load(spec, configuration.DataDir, locator ?? DataFolder.Locator());
        // The folder the images came from, not only one given: evaluate and export find them there later (while it holds them),
        // whatever $GRANET_DATA says then, and from any working folder (a relative --data-dir is saved as a full path).
        configuration = configuration with { DataDir = (configuration.DataDir ?? train.Folder) is { } images ? Path.GetFullPath(images) : null };
        var data = TrainingData.Create(spec, train, test, configuration.Training, configuration.EvaluationBatchSize);

        manual_seed(configuration.Training.Seed);
        using var model = modelInfo.Create(spec.Shape, spec.Classes);
        // Where oneDNN's convolutions were found wrong, they run this model's if they compute all of them right (checked in a process of its own).
        using var convolutions = ConvolutionCheck.For(model, spec.Shape);
        string json = ConfigurationJson.Serialize(configuration);
        if (configuration.TensorBoard is { } board)
        {
            // Before the run folder holds anything: a folder left with only a config.json could not be trained with a better path.
            TensorBoardLog.RequireWritable(board);
        }
        folder.Create();
        using var locked = folder.Lock();
        folder.RemoveStaleTemporaries();
        if (resume && !File.Exists(folder.LastCheckpoint) && File.Exists(folder.MetricsFile))
        {
            output.WriteLine($"note: {folder.Path} has no last.ckpt (deleted, or the run was stopped before it finished an epoch): training starts again from epoch 1.");
        }
        if (adviseResume)
        {
            Interruption.Advise(() => File.Exists(folder.LastCheckpoint)
                ? $"the last finished epoch's checkpoint is kept; continue with {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", folder.Path)}."
                : $"no epoch's checkpoint had been written yet; {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", folder.Path)} starts the run again from epoch 1.");
        }
        // What a resume reads is checked before anything of the run is rewritten.
        var resumed = resume && File.Exists(folder.LastCheckpoint) ? ResumeHeader(folder, standalone: adviseResume) : null;
        if (resumed is not null)
        {
            // Another run's checkpoint (copied into the folder) is named as such first: its steps per epoch, compared below,
            // would otherwise be reported as other data's.
            Trainer.RefuseAnotherRun(folder.LastCheckpoint, resumed, (modelInfo.Name, spec.Name, json), ConfigurationComparison.ResumeMayDiffer);
        }
        if (resumed is { EpochsCompleted: > 0 } && resumed.Step != (long)resumed.EpochsCompleted * data.Train.BatchesPerEpoch)
        {
            // Other data (a --data-dir of another size): the schedule's step counts would no longer match the run's, and the
            // options a refusal would then name (--update-interval, --batch-size) cannot be given with --resume.
            throw new DataException(string.Create(CultureInfo.InvariantCulture,
                $"{train.Folder} holds {data.Train.Count} training images ({data.Train.BatchesPerEpoch} steps per epoch at batch {configuration.Training.BatchSize}{(data.Validation is null ? string.Empty : ", validation held out")}), but the run in {folder.Path} trained {resumed.Step / resumed.EpochsCompleted} steps per epoch: resume it with the data it was trained on (give that folder with --data-dir)."));
        }
        if (resumed is not null && Trainer.OtherData(resumed, data) is { } other)
        {
            // As many images, other content (a copy edited or relabelled, the other of MNIST and Fashion-MNIST): the step
            // counts would fit and the numbers would no longer be the run's.
            throw new DataException($"{train.Folder} holds other {other} than the run in {folder.Path} used (their SHA-256 digests over images and labels differ): resume it with the data it was trained on (give that folder with --data-dir).");
        }
        long? resumeStep = resumed?.Step;
        var maskLog = new MaskUpdateLog(folder.MaskUpdatesFile, resumeStep);
        // A resumed run's config.json is written again too: --threads, --data-dir or --tensorboard may have changed, and the
        // next --resume should find the data where this one did.
        AtomicFile.WriteText(folder.ConfigFile, json);
        var reporter = new ConsoleReporter(output);
        reporter.Preamble.Add($"run folder: {folder.Path}");
        if (DataMismatch(spec, train) is { } mismatch)
        {
            reporter.Preamble.Add($"note: {mismatch}");
        }
        reporter.Preamble.Add($"{modelInfo.Name} on {spec.Name}: {data.Train.Count} training, {data.Validation?.Count ?? 0} validation, {data.Test.Count} test images from {train.Folder}; {configuration.Threads} thread{(configuration.Threads == 1 ? string.Empty : "s")}, {EnumNames.Of(configuration.CpuKernels)} CPU kernels");
        if (convolutions.Note is { } convolutionNote)
        {
            reporter.Preamble.Add($"note: {convolutionNote}");
        }

        using var sparsity = new SparsityController(configuration.Sparsity);
        sparsity.MaskUpdated += maskLog.Add;
        TrainingResult result;
        try
        {
            result = Train(configuration, folder, resume, keepEpochs, model, data, reporter, sparsity, maskLog, spec.Name, modelInfo.Name, json);
        }
        catch (Exception e) when (!resume && !File.Exists(folder.LastCheckpoint) && e is not TrainingDivergedException and not OperationCanceledException)
        {
            // Refused or failed before the first epoch was kept (the sparsity method found a layer it would empty, libtorch
            // refused a value): a folder left holding this config.json would refuse the corrected command. (A diverged run
            // keeps its summary, which a sweep reads; an interrupted one is continued with --resume.)
            try
            {
                folder.DiscardUnstarted();
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The refusal is what the user must see; files left behind only make the folder look used.
            }
            throw;
        }
        catch (TrainingDivergedException e)
        {
            // The folder says what happened (a sweep reads it to replace the seed); the caller still gets the error.
            folder.WriteSummary(new Dictionary<string, object?>
            {
                ["outcome"] = "diverged",
                ["message"] = OptionFlags.Rewrite(e.Message),
                ["model"] = modelInfo.Name,
                ["dataset"] = spec.Name,
                ["method"] = TrainOptions.MethodName(configuration.Sparsity.Method),
                ["testAccuracy"] = null,
                ["finalDensity"] = null,
                ["trainingFlopsRelative"] = null,
                ["inferenceFlopsRelative"] = null,
                ["wallSeconds"] = null,
            });
            if (adviseResume)
            {
                // The options to change cannot be changed by a --resume of this folder.
                throw new TrainingDivergedException($"{e.Message.TrimEnd('.')}, in another --output ({folder.Path} keeps this run's record).");
            }
            throw;
        }
        return Summarise(configuration, folder, output, result, sparsity, modelInfo.Name, spec.Name);
    }

    /// <summary>
    /// MNIST and Fashion-MNIST come in files of the same names and format: images whose mean brightness is far from the
    /// data set's own (MNIST 0.131, Fashion-MNIST 0.286) are likely the other one, found in a --data-dir given for it.
    /// Other data sets (CIFAR) get the note without that reason: their files have names of their own.
    /// </summary>
    /// <param name="which">What the images are, for the message: "training" or "test".</param>
    public static string? DataMismatch(DatasetSpec spec, ImageDataset images, string which = "training")
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(images);
        double expected = spec.Mean.Average(), mean = images.MeanIntensity();
        return Math.Abs(mean - expected) <= 0.05 ? null
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the {which} images in {images.Folder} have a mean brightness of {mean:F3}, {spec.Name}'s is {expected:F3}: they may be another data set{(spec.Format == DatasetFormat.Idx ? " (MNIST and Fashion-MNIST files have the same names)" : string.Empty)}; check --data-dir and --dataset.");
    }

    /// <summary>The step of the run's last checkpoint, read whole (its checksum checked) before anything of the run is rewritten.</summary>
    /// <param name="standalone">The run is <c>granet train</c>'s own (else a sweep's cell or a study's base run, trained again by rerunning that command once the folder is gone).</param>
    private static CheckpointHeader ResumeHeader(RunFolder folder, bool standalone)
    {
        try
        {
            var header = Checkpoint.ReadVerifiedHeader(folder.LastCheckpoint);
            if (header.BestEpoch > 0 && File.Exists(folder.BestCheckpoint))
            {
                // Read at the end of the run for its test accuracy: a damaged one is named now, before anything is rewritten.
                Checkpoint.ReadVerifiedHeader(folder.BestCheckpoint);
            }
            return header;
        }
        catch (InvalidDataException e) when (e.Message.Contains(Checkpoint.Format.Fix, StringComparison.Ordinal))
        {
            // "Give another file" is no help to --resume, which reads the folder's own last.ckpt.
            string fix = standalone
                ? "the run cannot continue from it: restore the file, or train the run again with another --output"
                : $"the run cannot continue from it: restore the file, or delete {folder.Path} and run the same command again to train it from the start";
            throw new InvalidDataException(e.Message.Replace(Checkpoint.Format.Fix, fix, StringComparison.Ordinal), e);
        }
    }

    private static TrainingResult Train(RunConfiguration configuration, RunFolder folder, bool resume, IReadOnlySet<int>? keepEpochs, nn.Module<Tensor, Tensor> model, TrainingData data,
        ConsoleReporter reporter, SparsityController sparsity, MaskUpdateLog maskLog, string dataset, string modelName, string json) =>
        reporter.Run(observer =>
        {
            var recorder = new MetricsRecorder(folder, maskLog, observer);
            using var run = new Trainer(model, data, configuration.Training, hook: sparsity, observer: recorder) { KeepEpochs = keepEpochs ?? new HashSet<int>(), ResumeMayDiffer = ConfigurationComparison.ResumeMayDiffer };
            TensorBoardLog? log = null;
            if (configuration.TensorBoard is { } board)
            {
                // A resumed run's initial masks were logged by the process that started it (and are not these).
                log = new TensorBoardLog(board, sparsity.Masks, newRun: !File.Exists(folder.LastCheckpoint));
                sparsity.MaskUpdated += log.OnMaskUpdate;
                recorder.TensorBoard = log;
            }
            var result = run.Run(folder.Path, resume, (modelName, dataset, json));
            log?.OnFinished(result.TestAccuracy, result.History.Count);
            return result;
        });

    private static int Summarise(RunConfiguration configuration, RunFolder folder, TextWriter output, TrainingResult result, SparsityController sparsity, string modelName, string dataset)
    {
        var trainedWith = result.History.Count > 0 ? result.History[^1].Runtime : null;
        var summary = new Dictionary<string, object?>
        {
            ["outcome"] = result.Outcome.ToString().ToLowerInvariant(),
            // A collapse that pruning caused (whole layers emptied), and its fix: every seed collapses so, and a study does not try another.
            ["collapseCause"] = result.Outcome == TrainingOutcome.Collapsed && sparsity.CollapseCause() is { } cause ? OptionFlags.Rewrite(cause) : null,
            // Which failure the collapsed epoch (the last) was: blew-up, fell-back or learned-nothing.
            ["collapseKind"] = result.Outcome == TrainingOutcome.Collapsed && result.History.Count > 0
                ? EnumNames.Of(Trainer.Classify(result.History[^1], DatasetCatalog.Get(dataset).Classes)) : null,
            ["model"] = modelName,
            ["dataset"] = dataset,
            // What the run was trained and tested on, by content (ImageDataset.Digest): two runs on the same images agree.
            ["trainingImagesSha256"] = result.TrainingImagesSha256,
            ["testImagesSha256"] = result.TestImagesSha256,
            ["testAccuracy"] = RunFolder.Percent(result.TestAccuracy),
            ["bestValidationAccuracy"] = result.BestValidationAccuracy is { } v ? RunFolder.Percent(v) : null,
            ["bestEpoch"] = result.BestEpoch,
            ["epochs"] = result.History.Count,
            ["wallSeconds"] = Math.Round(result.WallSeconds, 2),
            ["imagesPerSecond"] = Math.Round(result.ImagesPerSecond, 1),
            ["dataWaitShare"] = Math.Round(result.History.Sum(h => h.DataWaitSeconds) / Math.Max(1e-9, result.History.Sum(h => h.Seconds)), 4),
            ["parameters"] = result.Parameters,
            // What the run's last epoch was trained with, as recorded with it (a finished run summarised again by a process
            // with other settings keeps its own); else this process's: the set ATen reports it runs (the one pinned; where
            // ATen cannot be asked, the one configured).
            ["threads"] = trainedWith?.Threads ?? configuration.Threads,
            ["cpuKernels"] = EnumNames.Of(trainedWith?.CpuKernels ?? TorchRuntime.AtenKernels() ?? configuration.CpuKernels),
            // Whether oneDNN ran the convolutions (false where the start-up check found them wrong); null where unknown.
            ["oneDnnConvolutions"] = trainedWith is not null ? trainedWith.OneDnnConvolutions : OneDnnConvolutions.Enabled,
            // Epochs from which a resumed run ran with other threads, kernels or convolutions than the epoch before (from there its numbers
            // differ from an uninterrupted run's); empty for a run trained with one setting throughout.
            ["settingsChangedAtEpochs"] = Trainer.EpochsWithOtherSettings(result.History),
            ["method"] = TrainOptions.MethodName(configuration.Sparsity.Method),
            ["finalDensity"] = Math.Round(sparsity.Density, 6),
            ["inferenceFlopsRelative"] = Math.Round(sparsity.InferenceFlopsRelative, 6),
            ["trainingFlopsRelative"] = Math.Round(sparsity.TrainingFlopsRelative, 6),
            ["everActiveFraction"] = Math.Round(sparsity.Masks.EverActiveFraction, 6),
            ["layers"] = sparsity.Masks.Layers.Select(l => new Dictionary<string, object>
            {
                ["name"] = l.Name,
                ["shape"] = l.Shape,
                ["parameters"] = l.Count,
                ["active"] = l.ActiveCount,
                ["density"] = Math.Round(l.Density, 6),
            }).ToList(),
        };
        folder.WriteSummary(summary);
        LayerTable.Write(output, sparsity.Masks);
        if (result.Outcome == TrainingOutcome.Completed && sparsity.CollapseCause() is { } emptied)
        {
            // A collapsed run says this in its notice; a completed one may still have lost whole layers (residual paths go around them).
            output.WriteLine($"warning: {OptionFlags.Rewrite(emptied)}");
        }
        output.WriteLine($"test accuracy {RunFolder.Percent(result.TestAccuracy):F2}% (epoch {result.BestEpoch}); {result.ImagesPerSecond:F0} images/s; summary in {folder.SummaryFile}");
        return result.Outcome == TrainingOutcome.Completed ? ExitCodes.Success : ExitCodes.TrainingFailed;
    }

    /// <summary>Forwards events to the console and keeps metrics.jsonl and mask-updates.jsonl up to date after each epoch.</summary>
    private sealed class MetricsRecorder(RunFolder folder, MaskUpdateLog maskLog, ITrainingObserver inner) : ITrainingObserver
    {
        public TensorBoardLog? TensorBoard { get; set; }

        public void OnStarted(int firstEpoch, int epochs, int stepsPerEpoch) => inner.OnStarted(firstEpoch, epochs, stepsPerEpoch);

        public void OnBatch(BatchProgress progress) => inner.OnBatch(progress);

        // Before last.ckpt: a run killed between the two would otherwise resume past mask updates never written.
        public void OnCheckpointing(int epoch) => maskLog.Flush();

        public void OnEpochCompleted(EpochMetrics metrics, IReadOnlyList<EpochMetrics> history)
        {
            folder.WriteMetrics(history);
            TensorBoard?.OnEpoch(metrics);
            inner.OnEpochCompleted(metrics, history);
        }

        public void OnNotice(string message) => inner.OnNotice(OptionFlags.Rewrite(message));
    }
}
