using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using GraNet.Data;
using GraNet.IO;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Sparsity;
using GraNet.Training.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Training;

/// <summary>
/// Trains a classifier: turns epochs into optimizer steps, sets the learning rate before every
/// step, calls the hook after every step, evaluates the validation split after every epoch,
/// keeps a checkpoint of the last and of the best epoch, and reports the test accuracy of the
/// selected model once, at the end. Every step runs in its own dispose scope so native memory
/// stays flat. Disposing the trainer frees its optimizer's state (momentum, Adam moments), which
/// otherwise waits for the garbage collector; the model is the caller's.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly TrainingData data;
    private readonly TrainingOptions options;
    private readonly ITrainingHook? hook;
    private readonly ITrainingObserver observer;
    private readonly OptimizerHelper optimizer;
    private readonly LearningRateSchedule schedule;

    public Trainer(nn.Module<Tensor, Tensor> model, TrainingData data, TrainingOptions options, ITrainingHook? hook = null, ITrainingObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (model.named_parameters().FirstOrDefault(p => p.parameter.device_type != DeviceType.CPU) is ({ } name, { } elsewhere))
        {
            throw new ArgumentException($"The model's {name} is on {elsewhere.device}: the trainer runs on the CPU (its batches are made in CPU memory); move the model to the CPU (model.to(CPU)) before giving it to the trainer.", nameof(model));
        }
        TorchRuntime.CheckConvolutions(); // once per process: where oneDNN's convolutions are wrong, the model trains on libtorch's own
        this.model = model;
        this.data = data;
        this.options = options;
        this.hook = hook;
        this.observer = observer ?? new NullObserver();
        optimizer = CreateOptimizer(model, options);
        schedule = new LearningRateSchedule(options, StepsPerEpoch);
        var shape = data.Train.Shape;
        hook?.Attach(new TrainingContext(model, optimizer, StepsPerEpoch, TotalSteps, options.Epochs, options.Seed, shape.Dimensions));
    }

    /// <summary>Frees the optimizer's per-parameter state tensors (not the model).</summary>
    public void Dispose() => optimizer.Dispose();

    /// <summary>
    /// Which of <paramref name="data"/>'s image sets differ from those the checkpoint's run was trained and tested on
    /// ("training images", "test images" or both), by <see cref="ImageDataset.Digest"/>; null when they are the same, or
    /// when the checkpoint predates digests.
    /// </summary>
    public static string? OtherData(CheckpointHeader saved, TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(data);
        bool train = saved.TrainingImagesSha256 is { } trained && trained != data.Train.Source.Digest;
        bool test = saved.TestImagesSha256 is { } tested && tested != data.Test.Source.Digest;
        return (train, test) switch
        {
            (true, true) => "training and test images",
            (true, false) => "training images",
            (false, true) => "test images",
            _ => null,
        };
    }

    /// <summary>Optimizer steps per epoch.</summary>
    public int StepsPerEpoch => data.Train.BatchesPerEpoch;

    /// <summary>Optimizer steps of the whole run.</summary>
    public long TotalSteps => (long)StepsPerEpoch * options.Epochs;

    public OptimizerHelper Optimizer => optimizer;

    /// <summary>Epochs (1-based) after which a copy of the checkpoint is kept as <c>epoch-N.ckpt</c>.</summary>
    public IReadOnlySet<int> KeepEpochs { get; init; } = new HashSet<int>();

    /// <summary>
    /// Top-level keys of the identity's configuration JSON that a resumed run may change because
    /// they do not change what is trained (for the CLI: thread count, data folder, TensorBoard
    /// folder, evaluation batch size). Every other setting must equal the checkpoint's.
    /// </summary>
    public IReadOnlySet<string> ResumeMayDiffer { get; init; } = new HashSet<string>();

    /// <summary>The path of the checkpoint kept after epoch <paramref name="epoch"/> (<c>epoch-N.ckpt</c>, see <see cref="KeepEpochs"/>).</summary>
    public static string EpochCheckpoint(string folder, int epoch) => Path.Combine(folder, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{EpochCheckpointPrefix}{epoch}{Checkpoint.Extension}"));

    /// <summary>The epoch of a checkpoint kept as <c>epoch-N.ckpt</c> (<see cref="EpochCheckpoint"/>), from its path; null for any other file.</summary>
    public static int? KeptEpoch(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith(EpochCheckpointPrefix, StringComparison.Ordinal) && name.EndsWith(Checkpoint.Extension, StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(EpochCheckpointPrefix.Length, name.Length - EpochCheckpointPrefix.Length - Checkpoint.Extension.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int epoch)
            && epoch > 0 ? epoch : null;
    }

    /// <summary>The path of the checkpoint of the last finished epoch, which <see cref="Run"/> resumes from (<c>last.ckpt</c>).</summary>
    public static string LastCheckpoint(string folder) => Path.Combine(folder, "last" + Checkpoint.Extension);

    /// <summary>The path of the checkpoint of the epoch selected on the validation set (<c>best.ckpt</c>).</summary>
    public static string BestCheckpoint(string folder) => Path.Combine(folder, "best" + Checkpoint.Extension);

    private const string EpochCheckpointPrefix = "epoch-";

    /// <summary>
    /// Runs (or, when <paramref name="checkpointFolder"/> holds <c>last.ckpt</c> and
    /// <paramref name="resume"/> is set, continues) training. Checkpoints go to
    /// <paramref name="checkpointFolder"/> when it is given.
    /// </summary>
    /// <param name="identity">Model and data set names and the caller's configuration, stored in checkpoints; a resumed checkpoint must have been written with the same (settings that do not change what is trained, such as the thread count, may differ).</param>
    /// <exception cref="InvalidDataException">When resuming: the checkpoint is damaged, or was written by a run of another model, data set or configuration.</exception>
    public TrainingResult Run(string? checkpointFolder, bool resume, (string Model, string Dataset, string Configuration) identity, CancellationToken cancellation = default)
    {
        using var bestWeights = new WeightSnapshot();
        var wall = Stopwatch.StartNew();
        var history = new List<EpochMetrics>();
        int bestEpoch = 0;
        double? bestValidation = null;
        long step = 0;
        int firstEpoch = 0;
        double earlierWall = 0; // spent by the processes that trained the run before this one
        string? last = checkpointFolder is null ? null : LastCheckpoint(checkpointFolder);
        string? best = checkpointFolder is null ? null : BestCheckpoint(checkpointFolder);
        // A new best is written here first and renamed to best.ckpt only once last.ckpt records it as the best, so that a
        // run stopped between the two files (killed, disk full) still has the best.ckpt its last.ckpt names.
        string? bestNext = best is null ? null : best + ".next";
        // What the run's epochs were trained on; unknown (null) for a run resumed from a checkpoint that predates digests,
        // whose earlier epochs may have seen other images than these.
        string? trainedOn = data.Train.Source.Digest;
        if (resume && last is not null && File.Exists(last))
        {
            // The file is read and its checksum checked once: the header is checked before anything is restored.
            var header = Checkpoint.Load(last, model, optimizer, hook, saved =>
            {
                RefuseAnotherRun(last, saved, identity, ResumeMayDiffer);
                if (saved.EpochsCompleted > 0 && saved.Step != (long)saved.EpochsCompleted * StepsPerEpoch)
                {
                    // Other data (or batch size): every step count of the schedule and the hook would be off.
                    throw new InvalidDataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"{last}: the run trained {saved.Step / saved.EpochsCompleted} steps per epoch, this trainer's data gives {StepsPerEpoch} ({data.Train.Count} training images); resume with the data the run was trained on."));
                }
                if (OtherData(saved, data) is { } other)
                {
                    // The same number of steps, other images or labels: the schedule would fit, the numbers would not be the run's.
                    throw new InvalidDataException($"{last}: this trainer's data holds other {other} than the run used (their SHA-256 digests over images and labels differ); resume with the data the run was trained on.");
                }
            });
            if (header.EpochsCompleted > 0 && header.TrainingImagesSha256 is null)
            {
                trainedOn = null;
            }
            history.AddRange(header.History);
            firstEpoch = header.EpochsCompleted;
            // A process stopped after last.ckpt was renamed into place and before its kept copy was made: make it now.
            KeepEpoch(firstEpoch, last, checkpointFolder!, ifMissing: true);
            step = header.Step;
            bestEpoch = header.BestEpoch;
            bestValidation = header.BestValidationAccuracy;
            // Earlier versions did not record it: their epochs' training time is the closest figure.
            earlierWall = header.WallSeconds > 0 ? header.WallSeconds : header.History.Sum(h => h.Seconds);
            if (bestNext is not null && File.Exists(bestNext))
            {
                // Stopped after last.ckpt named this epoch the best, before the rename: finish it. Stopped before: drop it.
                if (Checkpoint.ReadHeader(bestNext).EpochsCompleted == bestEpoch)
                {
                    File.Move(bestNext, best!, overwrite: true);
                }
                else
                {
                    File.Delete(bestNext);
                }
            }
            if (best is not null && bestValidation is not null && bestEpoch > 0)
            {
                RefuseAnotherBest(best, bestEpoch, identity);
            }
        }
        else if (bestNext is not null && File.Exists(bestNext))
        {
            File.Delete(bestNext); // a run starting afresh: of an earlier start's first epoch
        }
        // The epochs' wall time up to the last one finished (a resume that trains nothing reports the same figure again).
        double epochsWall = earlierWall;
        observer.OnStarted(firstEpoch + 1, options.Epochs, StepsPerEpoch);
        // A resumed run that had already collapsed stays collapsed instead of training on.
        var outcome = history.Any(IsCollapsed) ? TrainingOutcome.Collapsed : TrainingOutcome.Completed;
        // What this process computes with, recorded with every epoch it trains; said when it differs from the last epoch's.
        var running = RuntimeSettings.Current();
        if (!ModuleOrder.DepthFirst(model).Any(m => ConvolutionShape.IsConvolution(m.Module)))
        {
            // A model without convolution modules (an MLP) computes the same whether oneDNN runs convolutions or not: not
            // recorded, so that resuming it where the check turned oneDNN off (or on) is no change of settings.
            running = running with { OneDnnConvolutions = null };
        }
        if (history.Count > 0 && history[^1] is { Runtime: { } before } lastEpoch && before.DiffersFrom(running))
        {
            if (outcome == TrainingOutcome.Completed && firstEpoch < options.Epochs)
            {
                observer.OnNotice(OtherSettingsNotice(lastEpoch.Epoch, before, running));
            }
            else if (outcome == TrainingOutcome.Completed)
            {
                // Nothing left to train: only the test accuracy is measured again, by this process.
                observer.OnNotice($"the run's epochs ran with {before}; this process measures the test accuracy again with {running}, which may round it differently.");
            }
        }
        for (int epoch = firstEpoch; outcome == TrainingOutcome.Completed && epoch < options.Epochs; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            var metrics = TrainEpoch(epoch, ref step, cancellation);
            double? validation = data.Validation is null ? null : Evaluate(model, data.Validation);
            metrics = metrics with
            {
                ValidationAccuracy = validation,
                Scalars = hook?.EpochScalars() ?? new Dictionary<string, double>(),
                Runtime = running,
            };
            history.Add(metrics);
            bool selectable = hook?.ReadyForSelection ?? true;
            bool improved = selectable && (validation is null || bestValidation is null || validation > bestValidation);
            if (improved)
            {
                bestEpoch = epoch + 1;
                bestValidation = validation;
            }
            epochsWall = earlierWall + wall.Elapsed.TotalSeconds;
            var state = new CheckpointHeader(identity.Model, identity.Dataset, epoch + 1, step, bestEpoch, bestValidation, hook is not null, history, identity.Configuration)
            {
                WallSeconds = epochsWall,
                TrainingImagesSha256 = trainedOn,
                TestImagesSha256 = data.Test.Source.Digest,
            };
            observer.OnCheckpointing(epoch + 1);
            if (bestNext is not null && improved && validation is not null)
            {
                Checkpoint.Save(bestNext, state, model, null, null);
            }
            else if (best is null && improved && validation is not null)
            {
                bestWeights.Keep(model); // no folder to keep best.ckpt in: the selected model is kept in memory
            }
            if (last is not null)
            {
                Checkpoint.Save(last, state, model, optimizer, hook);
                KeepEpoch(epoch + 1, last, checkpointFolder!);
            }
            if (bestNext is not null && File.Exists(bestNext))
            {
                File.Move(bestNext, best!, overwrite: true);
            }
            observer.OnEpochCompleted(metrics, history);
            if (IsCollapsed(metrics))
            {
                observer.OnNotice(NoticeFor(metrics));
                outcome = TrainingOutcome.Collapsed;
                break;
            }
        }
        bool useBest = data.Validation is not null && outcome == TrainingOutcome.Completed && bestEpoch != history.Count;
        if (useBest && best is not null)
        {
            RefuseAnotherBest(best, bestEpoch, identity);
            Checkpoint.Load(best, model, null, null);
        }
        else if (useBest && bestWeights.Held)
        {
            bestWeights.RestoreInto(model);
        }
        else if (data.Validation is null || bestEpoch == 0)
        {
            bestEpoch = history.Count;
        }
        double test = Evaluate(model, data.Test);
        double trainSeconds = history.Sum(h => h.Seconds);
        double images = (double)data.Train.Count * history.Count;
        return new TrainingResult(outcome, test, bestEpoch, bestValidation, history, epochsWall, trainSeconds > 0 ? images / trainSeconds : 0, Models.ModelRegistry.CountParameters(model))
        {
            TrainingImagesSha256 = trainedOn,
            TestImagesSha256 = data.Test.Source.Digest,
        };
    }

    /// <summary>
    /// The epochs (1-based) that ran with other threads, CPU kernels or convolutions than the epoch before them (<see cref="RuntimeSettings.DiffersFrom"/>):
    /// empty for a run trained in one go, or resumed with its own settings. Epochs of earlier versions, which did not record them, are passed over.
    /// </summary>
    public static IReadOnlyList<int> EpochsWithOtherSettings(IReadOnlyList<EpochMetrics> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var epochs = new List<int>();
        RuntimeSettings? previous = null;
        foreach (var epoch in history)
        {
            if (epoch.Runtime is { } settings)
            {
                if (previous is not null && settings.DiffersFrom(previous))
                {
                    epochs.Add(epoch.Epoch);
                }
                previous = settings;
            }
        }
        return epochs;
    }

    /// <summary>
    /// The notice of a run resumed with other threads, CPU kernels or convolutions than its last epoch ran with: from here on it rounds
    /// differently, so its numbers no longer repeat an uninterrupted run's; the settings that would keep them, where this
    /// machine has them.
    /// </summary>
    public static string OtherSettingsNotice(int lastEpoch, RuntimeSettings before, RuntimeSettings now)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(now);
        const string Configure = $"{nameof(TorchRuntime)}.{nameof(TorchRuntime.Configure)}";
        var keep = new List<string>();
        var cannot = new List<string>();
        if (before.Threads != now.Threads)
        {
            if (before.Threads <= Environment.ProcessorCount)
            {
                keep.Add($"{Configure}.threads {before.Threads}");
            }
            else
            {
                cannot.Add($"{before.Threads} threads (it has {Environment.ProcessorCount} cores)");
            }
        }
        if (before.CpuKernels is { } kernels && now.CpuKernels is not null && kernels != now.CpuKernels)
        {
            if (CpuKernelSets.IsSupported(kernels))
            {
                keep.Add($"{Configure}.cpuKernels {EnumNames.Of(kernels)}");
            }
            else
            {
                cannot.Add($"{EnumNames.Of(kernels)} CPU kernels");
            }
        }
        if (before.OneDnnConvolutions is { } oneDnn && now.OneDnnConvolutions is { } nowOneDnn && oneDnn != nowOneDnn)
        {
            // Where the start-up check turned oneDNN off, its convolutions are wrong there; elsewhere they are not turned off.
            cannot.Add(oneDnn ? "oneDNN's convolutions (its start-up check turned them off here)" : "libtorch's own convolutions in place of oneDNN's");
        }
        string advice = cannot.Count > 0 ? $"this machine cannot run {string.Join(" or ", cannot)}" : $"{string.Join(" and ", keep)} would keep them";
        return $"epochs up to {lastEpoch} ran with {before}, this process runs {now}: from epoch {lastEpoch + 1} on the run rounds differently, and its numbers differ from an uninterrupted run's; {advice}.";
    }

    /// <summary>What a collapsed epoch's notice says: the rule, and the likely cause with its fix.</summary>
    private string NoticeFor(EpochMetrics metrics) =>
        CollapseNotice(metrics, data.Classes, data.Train.BatchesPerEpoch, hook?.CollapseCause());

    /// <summary>
    /// Which failure an epoch whose mean training loss is not below chance (ln C − <see cref="CollapseMargin"/>) was: a
    /// mean loss above ln C + the margin means the loss rose far above chance at some point, i.e. the weights blew up;
    /// otherwise the network is at chance, and fell back there if it had learned before (a later epoch, or a training
    /// accuracy of at least twice chance, 2 / C, over this one), or learned nothing.
    /// </summary>
    public static CollapseKind Classify(EpochMetrics metrics, int classes)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (metrics.TrainLoss > Math.Log(classes) + CollapseMargin)
        {
            return CollapseKind.BlewUp;
        }
        return metrics.Epoch > 1 || LearnedIn(metrics, classes) ? CollapseKind.FellBack : CollapseKind.LearnedNothing;
    }

    /// <summary>Whether the epoch's training accuracy reached twice chance (2 / C): the network learned in it.</summary>
    private static bool LearnedIn(EpochMetrics metrics, int classes) => metrics.TrainAccuracy >= 2.0 / classes;

    /// <summary>
    /// The notice for an epoch whose mean training loss is not below chance: the rule, then the likely cause with its
    /// fix. A cause that a hook knows (<paramref name="cause"/>, e.g. layers pruned away) comes first; otherwise the
    /// <see cref="Classify">kind</see> of failure says what to change (with few steps per epoch, a smaller batch helps
    /// a network that learned nothing too).
    /// </summary>
    public static string CollapseNotice(EpochMetrics metrics, int classes, int stepsPerEpoch, string? cause = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        double chance = Math.Log(classes);
        string rule = string.Create(invariant, $"the mean training loss of epoch {metrics.Epoch} is {metrics.TrainLoss:F4}, not below ln({classes}) - {CollapseMargin} = {chance - CollapseMargin:F4} (chance is ln({classes}) = {chance:F4})");
        if (cause is not null)
        {
            return $"Training collapsed: {rule}; {cause}";
        }
        bool learnedHere = LearnedIn(metrics, classes);
        string accuracy = string.Create(invariant, $"{metrics.TrainAccuracy * 100:F2} % training accuracy over the epoch");
        switch (Classify(metrics, classes))
        {
            case CollapseKind.BlewUp:
                string when = learnedHere ? $"the network learned ({accuracy}), then its loss rose far above chance" : "the loss rose far above chance";
                return $"Training collapsed: {rule}; {when}: the weights blew up. Try a lower TrainingOptions.LearningRate, a warm-up (TrainingOptions.WarmupEpochs) or another TrainingOptions.Seed.";
            case CollapseKind.FellBack when metrics.Epoch > 1:
                return $"Training collapsed: {rule}; the network lost what it had learned. Try a lower TrainingOptions.LearningRate.";
            case CollapseKind.FellBack:
                return $"Training collapsed: {rule}; the network learned ({accuracy}), then fell back to chance. Try a lower TrainingOptions.LearningRate or another TrainingOptions.Seed.";
            default:
                // Few steps per epoch (a batch near the size of the training set) leave the network at chance whatever the seed.
                string fewSteps = stepsPerEpoch < FewStepsPerEpoch ? $", or a smaller TrainingOptions.BatchSize (epoch 1 had only {stepsPerEpoch} step{(stepsPerEpoch == 1 ? string.Empty : "s")})" : string.Empty;
                return $"Training collapsed: {rule}; the network learned nothing. Try another TrainingOptions.Seed or a lower TrainingOptions.LearningRate{fewSteps}.";
        }
    }

    /// <summary>Whether an epoch's mean training loss is not below ln(classes) − <see cref="CollapseMargin"/>: the network is at chance.</summary>
    private bool IsCollapsed(EpochMetrics epoch) => options.StopOnCollapse && epoch.TrainLoss >= Math.Log(data.Classes) - CollapseMargin;

    /// <summary>How far below chance (ln(classes)) an epoch's mean loss must be for the run not to count as collapsed.</summary>
    public const double CollapseMargin = 0.02;

    /// <summary>Below this many steps per epoch, the collapse notice also suggests a smaller batch.</summary>
    private const int FewStepsPerEpoch = 20;

    /// <summary>Accuracy in [0, 1] of <paramref name="model"/> on every batch of <paramref name="loader"/>.</summary>
    public static double Evaluate(nn.Module<Tensor, Tensor> model, BatchLoader loader) => Evaluate(model, loader, out _);

    /// <summary>Accuracy in [0, 1], and the seconds spent in the model's forward passes alone (not reading data).</summary>
    public static double Evaluate(nn.Module<Tensor, Tensor> model, BatchLoader loader, out double forwardSeconds)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        model.eval();
        long correct = 0;
        double forward = 0;
        using (no_grad())
        {
            foreach (var batch in loader.Epoch(0, shuffle: false, augment: false, seed: 0))
            {
                using var scope = NewDisposeScope();
                var (x, y) = ToTensors(batch, loader.Shape);
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                var logits = model.call(x);
                forward += System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }
        }
        forwardSeconds = forward;
        return loader.Count == 0 ? 0 : (double)correct / loader.Count;
    }

    private EpochMetrics TrainEpoch(int epoch, ref long step, CancellationToken cancellation)
    {
        model.train();
        var clock = Stopwatch.StartNew();
        double waitBefore = data.Train.WaitSeconds;
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        int batchIndex = 0;
        double lr = schedule.At(step);
        // The advice names the option's own value (not the warmed-up or decayed rate of a step) and warm-up only if it is off.
        string WarmupAdvice() => options.WarmupEpochs > 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"lengthen TrainingOptions.WarmupEpochs (now {options.WarmupEpochs:G4})") : "add TrainingOptions.WarmupEpochs";
        foreach (var batch in data.Train.Epoch(epoch, shuffle: true, augment: data.Augment, seed: options.Seed))
        {
            cancellation.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                lr = schedule.At(step);
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = lr;
                }
                var (x, y) = ToTensors(batch, data.Train.Shape);
                optimizer.zero_grad();
                var logits = model.call(x);
                var loss = nn.functional.cross_entropy(logits, y, label_smoothing: options.LabelSmoothing);
                loss.backward();
                optimizer.step();
                step++;
                float lossValue = loss.item<float>();
                if (!float.IsFinite(lossValue))
                {
                    throw new TrainingDivergedException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The training loss became {lossValue} at epoch {epoch + 1}, step {step} (learning rate {lr:G4} at that step); lower TrainingOptions.LearningRate (now {options.LearningRate:G4}) or {WarmupAdvice()}."));
                }
                try
                {
                    hook?.AfterOptimizerStep(step);
                }
                catch (NonFiniteWeightsException e) when (hook is SparsityController)
                {
                    // The loss was finite, yet the step left a weight NaN or infinite: the same failure as a NaN loss.
                    throw new TrainingDivergedException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"A weight became NaN or infinite at epoch {epoch + 1}, step {step} (learning rate {lr:G4} at that step; {e.Layer} holds one); lower TrainingOptions.LearningRate (now {options.LearningRate:G4}) or {WarmupAdvice()}."), e);
                }
                catch (NoGradientException e) when (hook is SparsityController)
                {
                    // The trainer calls the controller right after the step, with the step's gradients in place: none reached the
                    // weights. (A hook of the caller's own that wraps a controller may clear them first: its exception passes on.)
                    // At a loss of 0 the network fits the batch exactly (e.g. data of one label); else no unit passes a gradient on.
                    string what = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"At epoch {epoch + 1}, step {step} no gradient reached the weights (every gradient of the model is zero, loss {lossValue:F4}), so the mask update had nothing to rank: ");
                    throw new TrainingDivergedException(what + (lossValue == 0
                        ? "the network fits this batch exactly, so the data gives nothing to learn; check that the training labels are not all one class."
                        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the network is dead (no unit passes a gradient on). Lower TrainingOptions.LearningRate (now {options.LearningRate:G4}), {WarmupAdvice()} or try another TrainingOptions.Seed.")), e);
                }
                lossSum += lossValue * batch.Count;
                using (no_grad())
                {
                    correct += logits.argmax(1).eq(y).sum().item<long>();
                }
                seen += batch.Count;
            }
            batchIndex++;
            observer.OnBatch(new BatchProgress(epoch + 1, options.Epochs, batchIndex, StepsPerEpoch, lossSum / seen, (double)correct / seen, seen / clock.Elapsed.TotalSeconds, step));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return new EpochMetrics(epoch + 1, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen), null, lr, seconds, seen / seconds, data.Train.WaitSeconds - waitBefore, new Dictionary<string, double>());
    }

    /// <summary>
    /// The batch as tensors (images <c>[N, C, H, W]</c>, labels <c>[N]</c>), copied straight into their native memory. (TorchSharp's
    /// <c>tensor(Memory&lt;T&gt;, shape)</c> first copies the slice into a new managed array: 392 KB of
    /// large-object garbage per LeNet-5 step, which let the resident memory swing by hundreds of MB
    /// between full garbage collections.)
    /// </summary>
    public static (Tensor X, Tensor Y) ToTensors(Batch batch, ImageShape shape)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var x = empty([batch.Count, shape.Channels, shape.Height, shape.Width], ScalarType.Float32);
        batch.Images.AsSpan(0, batch.Count * shape.Size).CopyTo(MemoryMarshal.Cast<byte, float>(x.bytes));
        var y = empty([batch.Count], ScalarType.Int64);
        batch.Labels.AsSpan(0, batch.Count).CopyTo(MemoryMarshal.Cast<byte, long>(y.bytes));
        return (x, y);
    }

    private static OptimizerHelper CreateOptimizer(nn.Module<Tensor, Tensor> model, TrainingOptions options) => options.Optimizer switch
    {
        OptimizerKind.Sgd => new ScalarSafeSgd(model.parameters(), options.LearningRate, options.Momentum, 0, options.WeightDecay, options.Nesterov),
        OptimizerKind.Adam => new ScalarSafeAdam(model.parameters(), options.LearningRate, weightDecay: options.WeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Optimizer, "Unknown optimizer."),
    };

    private sealed class NullObserver : ITrainingObserver;

    /// <summary>
    /// Refuses to resume from a checkpoint of another run: the model, the data set and every
    /// setting of the configuration stored in the checkpoint's header must be those of this run,
    /// except the top-level settings in <paramref name="mayDiffer"/> (as <see cref="ResumeMayDiffer"/>).
    /// <see cref="Run"/> checks this itself; a caller that checks a resumed checkpoint's header against anything else
    /// first (its steps per epoch against the data) calls it before, so that another run's file is named as such.
    /// </summary>
    /// <param name="path">The checkpoint, named in the message.</param>
    /// <param name="header">Its header (<see cref="Checkpoint.ReadVerifiedHeader"/>).</param>
    /// <param name="identity">This run's model, data set and configuration, as given to <see cref="Run"/>.</param>
    /// <param name="mayDiffer">Top-level configuration keys a resumed run may change.</param>
    /// <exception cref="InvalidDataException">The checkpoint was written by a run of another model, data set or configuration; the message names the file and the first differing setting.</exception>
    public static void RefuseAnotherRun(string path, CheckpointHeader header, (string Model, string Dataset, string Configuration) identity, IReadOnlySet<string> mayDiffer)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(mayDiffer);
        const string Fix = "resume a folder with its own checkpoint, or train afresh in another folder";
        if (header.Model != identity.Model)
        {
            throw new InvalidDataException($"{path}: the checkpoint was written by a run of model {header.Model}, this run trains {identity.Model}; {Fix}.");
        }
        if (header.Dataset != identity.Dataset)
        {
            throw new InvalidDataException($"{path}: the checkpoint was written by a run on {header.Dataset}, this run trains on {identity.Dataset}; {Fix}.");
        }
        if (header.Configuration == identity.Configuration)
        {
            return;
        }
        JsonNode? saved = ParseOrNull(header.Configuration);
        JsonNode? current = ParseOrNull(identity.Configuration);
        if (saved is null || current is null)
        {
            throw new InvalidDataException($"{path}: the checkpoint was written by a run with another configuration; {Fix}.");
        }
        if (JsonDifference.First(saved, current, mayDiffer) is { } difference)
        {
            throw new InvalidDataException($"{path}: the checkpoint was written by a run with {difference.Key} {difference.Saved}, this run's configuration says {difference.Current}; {Fix}.");
        }
    }

    /// <summary>
    /// Copies <paramref name="last"/>, the checkpoint of <paramref name="epoch"/>, to <c>epoch-N.ckpt</c> if that epoch is one
    /// of <see cref="KeepEpochs"/> (with <paramref name="ifMissing"/>, only if that file is not there), atomically: a copy
    /// cut short leaves no file.
    /// </summary>
    private void KeepEpoch(int epoch, string last, string folder, bool ifMissing = false)
    {
        string kept = EpochCheckpoint(folder, epoch);
        if (!KeepEpochs.Contains(epoch) || (ifMissing && File.Exists(kept)))
        {
            return;
        }
        AtomicFile.Write(kept, target =>
        {
            using var source = File.OpenRead(last);
            source.CopyTo(target);
        });
    }

    /// <summary>
    /// The test accuracy is measured on the best epoch's weights in <paramref name="path"/>: the file must be there and
    /// be that epoch's checkpoint of this run (a missing or foreign file would report another model's accuracy).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is missing, or holds another epoch or another run.</exception>
    private void RefuseAnotherBest(string path, int bestEpoch, (string Model, string Dataset, string Configuration) identity)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path} is missing: it holds epoch {bestEpoch}, selected by validation accuracy, on which the test accuracy is measured; restore the file, or train the run again in another folder.");
        }
        // Verified first: a damaged file is named as damaged, not as another run's (its header may read as anything).
        CheckpointHeader header;
        try
        {
            header = Checkpoint.ReadVerifiedHeader(path);
        }
        catch (InvalidDataException e) when (e.Message.Contains(Checkpoint.Format.Fix, StringComparison.Ordinal))
        {
            // "Give another file" is no help: the run reads its own best.ckpt.
            throw new InvalidDataException(e.Message.Replace(Checkpoint.Format.Fix, "restore the file, or train the run again in another folder", StringComparison.Ordinal), e);
        }
        RefuseAnotherRun(path, header, identity, ResumeMayDiffer);
        if (header.EpochsCompleted != bestEpoch)
        {
            throw new InvalidDataException($"{path} holds epoch {header.EpochsCompleted}, but the run selected epoch {bestEpoch}; restore the run's own best.ckpt, or train the run again in another folder.");
        }
    }

    private static JsonNode? ParseOrNull(string? json)
    {
        if (json is null)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
