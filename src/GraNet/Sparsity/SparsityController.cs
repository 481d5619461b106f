using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using GraNet.IO;
using GraNet.Runtime;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Flops;
using GraNet.Sparsity.Masks;
using GraNet.Sparsity.Methods;
using GraNet.Sparsity.Schedules;
using GraNet.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Sparsity;

/// <summary>
/// Runs a sparse-training method on a model: creates the initial masks, and after every
/// optimizer step masks the weights and the optimizer state, runs the pruning and regeneration
/// events the method's schedule asks for, and keeps the FLOPs and ever-active statistics.
/// Plugs into <see cref="Trainer"/> as an <see cref="ITrainingHook"/>, or into any training loop:
/// create it with <c>Create</c> (one overload for a model taking one tensor, one for any forward pass) and call <see cref="AfterOptimizerStep"/> after each step.
/// </summary>
public sealed class SparsityController : ITrainingHook, IDisposable
{
    private readonly SparsityOptions options;
    private readonly Func<StepPlan, SparsityMethod>? compose;
    private MaskSet? masks;
    private SparsityMethod? method;
    private FlopCounter? flops;
    private Generator? generator;

    /// <summary>Added to the run's seed for the draw of the initial masks (a prime), so that it is not the stream that initialised the weights.</summary>
    private const ulong InitialMaskSeedOffset = 104729;
    private double trainingFlops;
    private long lastStep;
    private long totalSteps;
    private int stepsPerEpoch;
    private bool disposed;

    /// <param name="options">The method and its settings.</param>
    /// <param name="method">
    /// Makes a method of your own from the run's step counts, instead of the one <paramref name="options"/> name
    /// (<see cref="SparsityMethodFactory.Create"/>): e.g. <c>steps =&gt; SparsityMethodFactory.Create(options, steps) with { Name = "granet-mine", Regenerator = new Regenerator(new MyGrowth()) }</c>.
    /// The options are saved with the state (and checked against the run by <see cref="SparsityMethodFactory.Create"/> when the function calls it); the method's name is saved too.
    /// </param>
    public SparsityController(SparsityOptions options, Func<StepPlan, SparsityMethod>? method = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        compose = method;
    }

    /// <summary>
    /// Every mask change: the initial masks, each pruning event and each regeneration. A handler that throws does not keep
    /// the others from being told of the step's updates (it is not told the step's later ones itself); its exception
    /// reaches the caller afterwards, as thrown (those of several handlers as an <see cref="AggregateException"/>), with the
    /// step's masks complete.
    /// </summary>
    public event Action<MaskUpdate>? MaskUpdated;

    /// <summary>The masks (after <see cref="Attach"/>).</summary>
    public MaskSet Masks => disposed ? throw new ObjectDisposedException(nameof(SparsityController)) : masks ?? throw new InvalidOperationException("The controller is not attached to a model yet.");

    /// <summary>The method's pieces (distribution, schedule, pruner, regenerator), after <see cref="Attach"/>.</summary>
    public SparsityMethod Method => disposed ? throw new ObjectDisposedException(nameof(SparsityController)) : method ?? throw new InvalidOperationException("The controller is not attached to a model yet.");

    /// <summary>
    /// The model's trained weights of two or more dimensions that no mask covers, by name: only convolution and linear
    /// layers are masked (spec), so embeddings, transposed convolutions, recurrent layers and the projections inside
    /// TorchSharp's transformer layers (native modules with no <c>Linear</c> children) stay dense, as does a dense first
    /// layer. Empty when every such weight is masked. <see cref="Density"/> counts only the masked weights; the FLOPs count
    /// every convolution and linear layer, an unmasked one (a dense first layer) at all its weights, and leave out the others.
    /// </summary>
    public IReadOnlyList<string> UnmaskedWeights { get; private set; } = [];

    /// <summary>The options the controller was made with.</summary>
    public SparsityOptions Options => options;

    /// <summary>
    /// Attaches a controller to a model and optimizer for a run of <paramref name="epochs"/> epochs of <paramref name="stepsPerEpoch"/> steps.
    /// A new run's initial masks zero the weights outside them; to continue a saved run, give its state as
    /// <paramref name="resumeFrom"/> (then the model's saved weights may be loaded before or after).
    /// </summary>
    /// <param name="model">The model; its trainable convolution and linear weights are masked.</param>
    /// <param name="optimizer">The optimizer that trains <paramref name="model"/>: its per-weight state (momentum, Adam moments) is masked too.</param>
    /// <param name="options">The method and its settings.</param>
    /// <param name="stepsPerEpoch">Optimizer steps per epoch: epochs in <paramref name="options"/> (pruning window) become steps with it.</param>
    /// <param name="epochs">Epochs of the run; with <paramref name="stepsPerEpoch"/>, the run's length for the schedules.</param>
    /// <param name="sampleShape">One input sample's shape without the batch dimension, e.g. <c>[1, 28, 28]</c> (for FLOPs).</param>
    /// <param name="seed">Seeds the initial random masks and random growth.</param>
    /// <param name="maskUpdated">Subscribed to <see cref="MaskUpdated"/> before the masks are made, so that it also sees the initial masks (reported before they zero any weight: if it throws, Create ends with the model as it was).</param>
    /// <param name="inputType">Element type of the model's input, for the FLOPs probe (e.g. <c>ScalarType.Int64</c> for a model that starts with an embedding); null: the type of the model's first parameter.</param>
    /// <param name="method">A method of your own, made from the run's step counts (see <see cref="SparsityController(SparsityOptions, Func{StepPlan, SparsityMethod}?)"/>); null: the one <paramref name="options"/> name.</param>
    /// <param name="resumeFrom">What <see cref="Save"/> wrote, to continue that run (its masks, step and FLOPs so far, as <see cref="Load"/> reads them) instead of starting a new one with initial masks; no <see cref="MaskUpdateKind.Initial"/> update is reported then.</param>
    /// <exception cref="ArgumentException">An option is out of range, the method's pieces do not fit together, the model has nothing to mask, the optimizer does not hold its weights, or <paramref name="sampleShape"/> does not fit the model.</exception>
    /// <exception cref="InvalidOperationException">Another controller, not disposed, masks the model's weights.</exception>
    /// <exception cref="InvalidDataException"><paramref name="resumeFrom"/> is not a state of this run (see <see cref="Load"/>).</exception>
    public static SparsityController Create(nn.Module<Tensor, Tensor> model, OptimizerHelper optimizer, SparsityOptions options, int stepsPerEpoch, int epochs, long[] sampleShape, int seed = 0, Action<MaskUpdate>? maskUpdated = null, ScalarType? inputType = null, Func<StepPlan, SparsityMethod>? method = null, BinaryReader? resumeFrom = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleShape);
        return CreateWith(model, optimizer, options, stepsPerEpoch, epochs, seed, maskUpdated, method, resumeFrom, masks => FlopCounter.Measure(model, sampleShape, masks, inputType));
    }

    /// <summary>
    /// <see cref="Create(nn.Module{Tensor, Tensor}, OptimizerHelper, SparsityOptions, int, int, long[], int, Action{MaskUpdate}?, ScalarType?, Func{StepPlan, SparsityMethod}?, BinaryReader?)"/>
    /// for a model whose forward pass does not take one tensor (several inputs, such as token ids and an attention mask) or
    /// does not return one: <paramref name="forwardOneSample"/> runs one forward pass of one sample (a batch of 1) through
    /// it, which counts the FLOPs. It runs once, in eval mode (each module's own mode is restored after), without gradients.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range, the method's pieces do not fit together, the model has nothing to mask, the optimizer does not hold its weights, or <paramref name="forwardOneSample"/> failed.</exception>
    /// <exception cref="InvalidOperationException">Another controller, not disposed, masks the model's weights.</exception>
    /// <exception cref="InvalidDataException"><paramref name="resumeFrom"/> is not a state of this run (see <see cref="Load"/>).</exception>
    public static SparsityController Create(nn.Module model, OptimizerHelper optimizer, SparsityOptions options, int stepsPerEpoch, int epochs, Action forwardOneSample, int seed = 0, Action<MaskUpdate>? maskUpdated = null, Func<StepPlan, SparsityMethod>? method = null, BinaryReader? resumeFrom = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forwardOneSample);
        return CreateWith(model, optimizer, options, stepsPerEpoch, epochs, seed, maskUpdated, method, resumeFrom, masks => FlopCounter.Measure(model, forwardOneSample, masks));
    }

    private static SparsityController CreateWith(nn.Module model, OptimizerHelper optimizer, SparsityOptions options, int stepsPerEpoch, int epochs, int seed, Action<MaskUpdate>? maskUpdated, Func<StepPlan, SparsityMethod>? method, BinaryReader? resumeFrom, Func<MaskSet, FlopCounter> measure)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(options);
        var controller = new SparsityController(options, method);
        controller.MaskUpdated += maskUpdated;
        try
        {
            // The run's length in the names of this call (Attach names the trainer's TrainingOptions.Epochs).
            controller.AttachTo(model, optimizer, stepsPerEpoch, epochs, (long)stepsPerEpoch * epochs, seed, measure, $"{nameof(SparsityController)}.{nameof(Create)}'s epochs", resumeFrom);
        }
        catch
        {
            controller.Dispose();
            throw;
        }
        return controller;
    }

    /// <summary>Makes the masks for <paramref name="context"/>'s model and optimizer (once per controller) and reports them as the <see cref="MaskUpdateKind.Initial"/> update.</summary>
    /// <exception cref="ArgumentException">An option is out of range, the context's <see cref="TrainingContext.TotalSteps"/> are not its steps per epoch × epochs, the model has nothing to mask, the optimizer does not hold its weights, or the sample shape does not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The controller is attached already.</exception>
    public void Attach(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        bool attached = masks is not null;
        try
        {
            AttachTo(context.Model, context.Optimizer, context.StepsPerEpoch, context.Epochs, context.TotalSteps, context.Seed,
                masks => FlopCounter.Measure(context.Model, context.SampleShape, masks, context.InputType));
        }
        catch when (!attached)
        {
            // A refused attach leaves the controller as it was made, free to attach with a context that fits (Create
            // disposes the controller instead).
            Release();
            masks = null;
            method = null;
            generator = null;
            flops = null;
            trainingFlops = 0;
            lastStep = totalSteps = 0;
            stepsPerEpoch = 0;
            UnmaskedWeights = [];
            throw;
        }
    }

    /// <param name="measure">Measures the model's FLOPs (a forward pass of one sample), before the initial masks zero any weight.</param>
    /// <param name="epochsName">What the caller calls the run's length in a refusal (default <c>TrainingOptions.Epochs</c>).</param>
    /// <param name="resumeFrom">A state written by <see cref="Save"/> to take the masks from, instead of drawing initial ones; null: a new run.</param>
    private void AttachTo(nn.Module model, OptimizerHelper optimizer, int stepsPerEpoch, int epochs, long totalRunSteps, int seed, Func<MaskSet, FlopCounter> measure, string? epochsName = null, BinaryReader? resumeFrom = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (masks is not null)
        {
            throw new InvalidOperationException("The controller is attached to a model already; create one controller per model.");
        }
        if (stepsPerEpoch < 1 || epochs < 1)
        {
            throw new ArgumentException($"A run needs at least 1 step per epoch and 1 epoch, not {stepsPerEpoch} and {epochs}.", nameof(stepsPerEpoch));
        }
        if (totalRunSteps != (long)stepsPerEpoch * epochs)
        {
            // Only a TrainingContext gives the total apart (Create computes it). The options are checked against the run's
            // epochs and the schedules end at its last step: the two must agree, or GMP would end short of its final
            // density, or a step past the total be refused mid-run.
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{nameof(TrainingContext)}.{nameof(TrainingContext.TotalSteps)} is {totalRunSteps}, but {epochs} epochs of {stepsPerEpoch} steps make {(long)stepsPerEpoch * epochs}: give {nameof(TrainingContext.StepsPerEpoch)} × {nameof(TrainingContext.Epochs)}, the run's optimizer steps."), nameof(totalRunSteps));
        }
        totalSteps = totalRunSteps;
        this.stepsPerEpoch = stepsPerEpoch;
        var steps = new StepPlan(stepsPerEpoch, totalRunSteps, seed);
        // The options are checked by the factory that reads them: a method of the caller's own that does not start from
        // a built-in one is not held to options it never reads.
        var plan = compose is null ? SparsityMethodFactory.Create(options, steps, epochsName ?? $"{nameof(TrainingOptions)}.{nameof(TrainingOptions.Epochs)}") : Compose(compose, steps);
        // The model's weights, the optimizer that must hold them, and no other live controller on them, before what the optimizer keeps.
        masks = MaskSet.ForModel(model, optimizer, options.DenseFirstLayer);
        RequireNoOtherController(masks);
        if (plan.MasksWeights)
        {
            // An optimizer whose state masking cannot reset (Rprop) is refused before anything changes.
            OptimizerStateAccess.RequireSupported(optimizer);
        }
        method = plan;
        var masked = masks.Layers.Select(l => TensorMemory.Of(l.Weight)).ToHashSet();
        UnmaskedWeights = model.named_parameters()
            .Where(p => p.parameter.requires_grad && p.parameter.dim() >= 2 && !masked.Contains(TensorMemory.Of(p.parameter)))
            .Select(p => p.name).ToList();
        if (method.Window is { } window && method.Regenerator is not null && !HasUpdateStep(window, totalRunSteps))
        {
            // RigL's stop may be what cuts the window short (a small RigLStopFraction): then the message names it too.
            // Named only when a step of the run would regenerate without the stop (raising it then helps).
            long first = ((window.StartStep / window.Interval) + 1) * window.Interval;
            string stop = compose is null && options.Method == SparsityMethodKind.RigL && options.RigLStopFraction < 1 && first <= totalRunSteps
                ? string.Create(CultureInfo.InvariantCulture, $"; rigl stops at step {window.StopStep}, SparsityOptions.RigLStopFraction {options.RigLStopFraction} of the run")
                : string.Empty;
            string fix = stop.Length > 0 ? $"use a shorter interval or raise SparsityOptions.RigLStopFraction" : "use a shorter interval";
            throw compose is null
                ? new OptionValueException(nameof(SparsityOptions), nameof(SparsityOptions.UpdateInterval), options.UpdateInterval,
                    string.Create(CultureInfo.InvariantCulture, $"leaves no regeneration step in steps {window.StartStep + 1}..{Math.Min(window.StopStep, totalRunSteps)} of this run ({stepsPerEpoch} per epoch{stop}), so {OptionValueException.Format(options.Method)} would not regenerate at all; {fix}"))
                : new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Sparsity method '{method.Name}' has a regeneration Window (every {window.Interval} steps after step {window.StartStep}, up to step {window.StopStep}) that holds no step of this run's {totalRunSteps}, so it would not regenerate at all; start it earlier, end it later or shorten its interval."), nameof(SparsityMethod.Window));
        }
        if (compose is not null && method.Schedule is { } schedule)
        {
            RequireWithinRun(method, schedule, totalRunSteps);
        }
        // Each piece refuses what it cannot work with before anything changes (a piece of the caller's own may too).
        method.Regenerator?.Growth.RequireSupported(masks);
        generator = new Generator((ulong)seed + InitialMaskSeedOffset);
        if (method.Pruner is LayerwiseMagnitudePruner { ClassifierRule: true } layerwise)
        {
            // Named in the terms of what made it: the options, or the caller's own composition.
            layerwise.RequireFeasible(masks, method.FinalDensity, compose is null ? null : $"the final density of method '{method.Name}' (its Schedule's at step {method.Schedule!.EndStep})");
        }
        else if (method.MasksWeights)
        {
            method.Pruner?.RequireFeasible(masks, method.FinalDensity);
        }
        if (method.MasksWeights)
        {
            RequireEveryLayerKept(masks, method);
        }
        // Before the initial masks zero any weight: a sample shape that does not fit the model is refused with the model untouched.
        flops = measure(masks);
        if (resumeFrom is not null)
        {
            // The saved masks, not new ones: no weight is zeroed but where the saved run's masks are inactive.
            Load(resumeFrom);
        }
        else
        {
            if (method.MasksWeights)
            {
                InitialiseMasks();
            }
            Report([Describe(0, MaskUpdateKind.Initial, null, masks.Layers.Select(l => new LayerUpdate(l.Name, l.ActiveCount, l.Count, 0, 0)).ToList())]);
            if (method.MasksWeights)
            {
                // Once the initial masks are reported: a handler that throws ends Create with the model as it was.
                masks.Apply();
            }
        }
        if (method.MasksWeights)
        {
            // Only a controller that masks holds the weights (a dense one reports density 1 and changes nothing).
            RegisterAsOwner(masks);
        }
    }

    /// <summary>The controller masking each weight, while it is not disposed: two controllers on one weight would each mask it by their own masks.</summary>
    private static readonly ConditionalWeakTable<Tensor, WeakReference<SparsityController>> Owners = new();

    private void RequireNoOtherController(MaskSet set)
    {
        lock (Owners)
        {
            foreach (var layer in set.Layers)
            {
                if (Owners.TryGetValue(layer.Weight, out var owner) && owner.TryGetTarget(out var other) && other != this && !other.disposed)
                {
                    throw new InvalidOperationException($"{layer.Name} is masked by another SparsityController already (its Step is {other.lastStep}); dispose that controller before creating another for the same model (one controller per model).");
                }
            }
        }
    }

    /// <summary>Records this controller as the one masking its weights, once it is attached (a refused attach records nothing).</summary>
    private void RegisterAsOwner(MaskSet set)
    {
        lock (Owners)
        {
            foreach (var layer in set.Layers)
            {
                Owners.AddOrUpdate(layer.Weight, new WeakReference<SparsityController>(this));
            }
        }
    }

    /// <summary>
    /// Call after every optimizer step with the step's number counted over the whole run (1, 2, 3, …):
    /// masks the weights and the optimizer state, then runs the pruning or regeneration event due at
    /// <paramref name="step"/>, if any. Call it after <c>optimizer.step()</c> and before <c>zero_grad()</c>: called
    /// before the optimizer's step, that step would train the inactive weights again and the next forward pass would
    /// run on dense weights. After the run's last step, keep the masks while training on (fine-tuning) with
    /// <c>Masks.Apply()</c> after each optimizer step.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is not the last step given plus one, or lies past the run's steps.</exception>
    /// <exception cref="ObjectDisposedException">The controller is disposed.</exception>
    /// <exception cref="InvalidOperationException">
    /// The controller is not attached; the model's weights were replaced since (e.g. <c>model.to(...)</c>) or a masked one is
    /// frozen; a schedule or rate of the method gives a value out of range; and its subclasses <see cref="NoGradientException"/> (a regeneration that found no gradient anywhere) and
    /// <see cref="NonFiniteWeightsException"/> (NaN or infinite weights at a mask update).
    /// </exception>
    public void AfterOptimizerStep(long step)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        _ = Masks; // not attached yet: said as such, before the step is checked against a run of no steps
        if (step != lastStep + 1)
        {
            string which = step < 1 ? $"Step {step} is not a step number: steps count from 1"
                : lastStep == 0 ? $"Step {step} was given as the first step, which is 1"
                : $"Step {step} does not follow step {lastStep}";
            throw new ArgumentOutOfRangeException(nameof(step), step, $"{which}; call after every optimizer step, numbered over the whole run (1, 2, 3, …), not per epoch.");
        }
        if (step > totalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"Step {step} is past the run's {totalSteps} steps (steps per epoch × epochs given to Create); give Create the run's real step counts, or the schedules end too early.");
        }
        // Its own scope, so that a loop that calls it outside the step's scope keeps no tensor of it alive (gradients and
        // optimizer state are read through new tensor objects; the masks and the criteria's state are kept out of scopes).
        using var scope = NewDisposeScope();
        var m = Masks;
        m.RequireLiveWeights();
        var plan = Method;
        bool prunes = plan.MasksWeights && plan.Schedule is { } due && plan.Pruner is not null && due.IsPruningStep(step);
        bool regenerates = plan.MasksWeights && plan.Window is { } window && plan.Regenerator is not null && plan.Rate is not null && window.IsUpdateStep(step);
        double target = prunes ? plan.Schedule!.DensityAt(step) : 1;
        if (!(target > 0 && target <= 1))
        {
            // Refused before anything of this step changes, like a rate out of range below.
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The pruning schedule of method '{plan.Name}' asks for density {target:G6} at step {step}; a Schedule must give a density in (0, 1]."));
        }
        double rate = 0;
        if (regenerates)
        {
            // Refused (a frozen layer, no gradient to grow by, a rate out of range) before anything of this step changes, so the loop can be corrected and the step given again.
            RequireTrainable(m);
            plan.Regenerator!.Growth.RequireReady(m);
            rate = plan.Rate!.RateAt(step);
            if (!(rate >= 0 && rate <= 1))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The regrowth rate of method '{plan.Name}' at step {step} is {rate:G6}; a Rate must give a share in [0, 1] of each layer's active weights."));
            }
        }
        if (prunes || regenerates)
        {
            RequireFinite(m, step);
        }
        // The masks this step trained with, counted now: a caller may have set a layer's mask since the last update.
        trainingFlops += 3 * flops!.Forward();
        lastStep = step;
        if (!plan.MasksWeights)
        {
            return;
        }
        m.Apply();
        plan.Regenerator?.Growth.AfterStep(m);
        // The step's updates are reported once both are made: a handler that throws cannot leave the step half done,
        // nor keep the step's other update or another handler from being told.
        var updates = new List<MaskUpdate>(2);
        if (prunes)
        {
            var before = m.Layers.Select(l => l.ActiveCount).ToArray();
            plan.Pruner!.Prune(m, target);
            m.Apply();
            updates.Add(Describe(step, MaskUpdateKind.Prune, null, m.Layers.Select((l, i) => new LayerUpdate(l.Name, l.ActiveCount, l.Count, before[i] - l.ActiveCount, 0)).ToList()));
        }
        if (regenerates)
        {
            updates.Add(Describe(step, MaskUpdateKind.Regenerate, rate, plan.Regenerator!.Regenerate(m, rate)));
        }
        Report(updates);
    }

    /// <summary>
    /// Tells every <see cref="MaskUpdated"/> handler of every update, in order, even when another handler throws; a handler
    /// that throws is not told the step's later updates. Then rethrows: one handler's exception as it was thrown, the
    /// exceptions of several handlers as an <see cref="AggregateException"/>.
    /// </summary>
    private void Report(IReadOnlyList<MaskUpdate> updates)
    {
        if (updates.Count == 0 || MaskUpdated is not { } handlers)
        {
            return; // most steps: nothing to tell, nothing made
        }
        var list = handlers.GetInvocationList().Cast<Action<MaskUpdate>>().ToList();
        var thrown = new ExceptionDispatchInfo?[list.Count];
        foreach (var update in updates)
        {
            for (int h = 0; h < list.Count; h++)
            {
                if (thrown[h] is not null)
                {
                    continue; // failing (a full disk fails again): its one exception is what the caller needs
                }
                try
                {
                    list[h](update);
                }
                catch (Exception e)
                {
                    thrown[h] = ExceptionDispatchInfo.Capture(e);
                }
            }
        }
        var failures = thrown.OfType<ExceptionDispatchInfo>().ToList();
        if (failures is [var only])
        {
            only.Throw();
        }
        if (failures.Count > 1)
        {
            throw new AggregateException("MaskUpdated handlers threw; every other handler was told of every update first.", failures.Select(t => t.SourceException));
        }
    }

    /// <summary>Layers pruned away entirely (no active weight), named with the density that emptied them and its fix.</summary>
    public string? CollapseCause()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (masks is null || method is null || !method.MasksWeights || masks.Layers.FirstOrDefault(l => l.ActiveCount == 0) is null)
        {
            return null;
        }
        var empty = masks.Layers.Where(l => l.ActiveCount == 0).Select(l => l.Name).ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"{(empty.Count == 1 ? "layer " + empty[0] + " has" : "layers " + string.Join(", ", empty) + " have")} no weight left ({masks.Active:N0} of {masks.Total:N0} weights active at density {masks.Density:G3}), so a plain chain of layers no longer depends on its input; {(compose is null ? $"raise {nameof(SparsityOptions)}.{nameof(SparsityOptions.FinalDensity)} ({options.FinalDensity.ToString(CultureInfo.InvariantCulture)} now)" : $"raise the final density of method '{method.Name}' ({method.FinalDensity:G6} now)")}.");
    }

    /// <summary>Epochs before the end of pruning are never selected as the best.</summary>
    public bool ReadyForSelection => Method.Schedule is not { } s || lastStep >= s.EndStep;

    /// <summary>Overall density of the masks now (share of the maskable weights active), as the weights have it after <see cref="AfterOptimizerStep"/>.</summary>
    public double Density => Method.MasksWeights ? Masks.Density : 1;

    /// <summary>Forward FLOPs of the current masks relative to the dense model.</summary>
    public double InferenceFlopsRelative => Live.flops is not { } f || f.DenseForward == 0 ? 1 : f.Forward() / f.DenseForward;

    /// <summary>Training FLOPs so far relative to dense training for the same steps.</summary>
    public double TrainingFlopsRelative => Live.flops is not { } f || lastStep == 0 || f.DenseForward == 0 ? 1 : trainingFlops / (3 * f.DenseForward * lastStep);

    /// <summary>This controller, unless it is disposed (its masks are freed then, and nothing it reports would be of a live run).</summary>
    private SparsityController Live => disposed ? throw new ObjectDisposedException(nameof(SparsityController)) : this;

    public IReadOnlyDictionary<string, double> EpochScalars() => new Dictionary<string, double>
    {
        ["density"] = Math.Round(Density, 6),
        ["everActiveFraction"] = Math.Round(Method.MasksWeights ? Masks.EverActiveFraction : 1, 6),
        ["inferenceFlopsRelative"] = Math.Round(InferenceFlopsRelative, 6),
        ["trainingFlopsRelative"] = Math.Round(TrainingFlopsRelative, 6),
    };

    /// <summary>The first string of a state of version 2 (earlier ones began with the method's name); from version 3 on, the state inside <see cref="CheckedStateMagic"/>'s frame.</summary>
    private const string StateMagic = "GRANET-SPARSITY-STATE-2";

    /// <summary>
    /// The first string of what <see cref="Save"/> writes: then the length of what follows it up to the checksum, the run's
    /// steps per epoch (int32), a version-2 state, and the SHA-256 of those two, so that a state changed after it was
    /// written is refused rather than loaded.
    /// </summary>
    private const string CheckedStateMagic = "GRANET-SPARSITY-STATE-3";

    /// <summary>The options as saved: enums by their names (as config.json has them), so that a difference reads "rigl", not 4.</summary>
    private static readonly JsonSerializerOptions StateJson = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) } };

    /// <summary>
    /// Writes the controller's state (not the model's or the optimizer's): the options and the run's length it was made
    /// with, the step reached, training FLOPs so far, the masks and the growth criterion's state; then their SHA-256,
    /// which <see cref="Load"/> checks before it reads anything of the state. The state goes to <paramref name="writer"/>'s
    /// <c>BaseStream</c> (a subclass's own <c>Write</c> overrides see only the frame), written twice over: once to count
    /// its length, once to the stream.
    /// </summary>
    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ObjectDisposedException.ThrowIf(disposed, this);
        writer.Write(CheckedStateMagic);
        // The masks and growth state are written from the tensors' memory, so counting the state costs no copy, and nothing
        // of it is held in memory: a state of any size saves, to any stream.
        StateBlock.Write(writer, WriteBody, (counted, written) => $"The SparsityController's state changed while it was saved ({counted} bytes counted, {written} written), so the stream holds an incomplete state: save it again from the thread that trains, between steps (a growth score of your own must write the same bytes each time it saves).");
    }

    /// <summary>What the checksum covers: the run's steps per epoch, then the state as version 2 wrote it.</summary>
    private void WriteBody(BinaryWriter writer)
    {
        // The epochs of the options (the pruning window) are steps by it: a run of the same length with other epochs is another run.
        writer.Write(stepsPerEpoch);
        SaveState(writer);
    }

    /// <summary>The state inside the checksummed frame, as version 2 wrote it.</summary>
    private void SaveState(BinaryWriter writer)
    {
        writer.Write(StateMagic);
        writer.Write(JsonSerializer.Serialize(options, StateJson));
        writer.Write(totalSteps);
        writer.Write(Method.Name);
        writer.Write(lastStep);
        writer.Write(trainingFlops);
        Masks.Save(writer);
        Method.Regenerator?.Growth.Save(writer);
    }

    /// <summary>
    /// Reads what <see cref="Save"/> wrote into a controller created for the same model with the same options and step
    /// counts; the run then continues from the step reached (<see cref="Step"/>). State written by earlier versions,
    /// which did not record the options, is checked by method and masked layers only.
    /// </summary>
    /// <remarks>
    /// A state that is refused changes nothing: the masks, the step and the weights stay as they were (a growth score of
    /// your own must leave its own state as it was when its <see cref="IGrowthScore.Load"/> throws).
    /// </remarks>
    /// <exception cref="InvalidDataException">Not a controller's state, or one saved with another method, other options, another run length or other masked layers; one that ends early (a truncated file), was changed after it was written (its checksum does not match; states of earlier versions have none) or records a step outside the run.</exception>
    public void Load(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ObjectDisposedException.ThrowIf(disposed, this);
        string first = ReadFirst(reader);
        if (first != CheckedStateMagic)
        {
            LoadState(reader, first); // a state of an earlier version, without a checksum
            return;
        }
        // Not even the steps per epoch (4 bytes) and a first string (at least 1) is a damaged state.
        StateBlock.Read(reader, minimumLength: 5, LoadBody);
    }

    /// <summary>The frame's content: the run's steps per epoch, then a state of version 2.</summary>
    private void LoadBody(BinaryReader reader)
    {
        int savedStepsPerEpoch;
        try
        {
            savedStepsPerEpoch = reader.ReadInt32();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException(CutShort, e);
        }
        LoadState(reader, ReadFirst(reader), savedStepsPerEpoch);
    }

    /// <summary>The string a state begins with.</summary>
    private static string ReadFirst(BinaryReader reader)
    {
        try
        {
            return reader.ReadString();
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException)
        {
            // Bytes that are not a saved state (BinaryReader reads a length and text from whatever is there).
            throw new InvalidDataException(NotAState, e);
        }
    }

    /// <summary>Reads a state of version 2 or earlier (the content of version 3's frame), whose first string <paramref name="first"/> is read already.</summary>
    /// <param name="savedStepsPerEpoch">The saved run's steps per epoch (recorded from version 3 on).</param>
    private void LoadState(BinaryReader reader, string first, int? savedStepsPerEpoch = null)
    {
        long savedSteps = 0;
        string name = first;
        JsonNode? savedOptions = null;
        try
        {
            if (first == StateMagic)
            {
                string optionsText = reader.ReadString();
                savedSteps = reader.ReadInt64();
                name = reader.ReadString();
                savedOptions = JsonNode.Parse(optionsText);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException or JsonException)
        {
            // Bytes that are not a saved state (BinaryReader reads a length and text from whatever is there).
            throw new InvalidDataException(NotAState, e);
        }
        if (first != StateMagic && !IsBuiltInName(first))
        {
            // A later layout (GRANET-SPARSITY-STATE-4 on) is named as one, not as bytes of something else.
            throw new InvalidDataException(first.StartsWith("GRANET-SPARSITY-STATE-", StringComparison.Ordinal)
                    && int.TryParse(first.AsSpan("GRANET-SPARSITY-STATE-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int layout) && layout > 3
                ? $"The saved state is of a later layout ({first}) than this version of GraNet.NET reads (up to {CheckedStateMagic}); load it with the version that saved it, or a newer one."
                : NotAState); // neither this version's state nor an earlier one's (which began with the method)
        }
        RequireMethod(name);
        if (first == StateMagic)
        {
            if (JsonDifference.First(savedOptions, JsonNode.Parse(JsonSerializer.Serialize(options, StateJson))) is { } difference)
            {
                throw new InvalidDataException($"The saved state was made with {nameof(SparsityOptions)}.{difference.Key} {difference.Saved}, this controller with {difference.Current}; load it into a controller created with the options the run was saved with.");
            }
            if (savedSteps != totalSteps)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"The saved state is of a run of {savedSteps} steps, this controller was created for {totalSteps} (steps per epoch × epochs given to Create); create it with the saved run's step counts."));
            }
            if (savedStepsPerEpoch is { } saved && saved != stepsPerEpoch)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"The saved state is of a run of {saved} steps per epoch, this controller was created for {stepsPerEpoch} (the same {totalSteps} steps in all, but the options' epochs, such as the pruning window, fall on other steps); create it with the saved run's step counts."));
            }
        }
        // Everything is read and checked before the weights change: a refused state leaves the controller and the model as they were.
        long step;
        double flopsSoFar;
        MaskSet.LoadedMasks loaded;
        try
        {
            step = reader.ReadInt64();
            flopsSoFar = reader.ReadDouble();
            loaded = Masks.Read(reader);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException(CutShort, e);
        }
        if (step < 0 || step > totalSteps || !(flopsSoFar >= 0) || double.IsInfinity(flopsSoFar))
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"The saved state is damaged: it records step {step} of a run of {totalSteps} steps and {flopsSoFar:G6} training FLOPs; give what Save wrote, unchanged."));
        }
        var previous = Masks.Snapshot();
        loaded.Set();
        try
        {
            Method.Regenerator?.Growth.Load(reader, Masks); // reads the (new) masks' layers
        }
        catch (EndOfStreamException e)
        {
            previous.Set();
            throw new InvalidDataException(CutShort, e);
        }
        catch
        {
            previous.Set();
            throw;
        }
        lastStep = step;
        trainingFlops = flopsSoFar;
        if (Method.MasksWeights)
        {
            Masks.Apply(); // (a dense method's optimizer, which may be any, is never masked)
        }
    }

    /// <summary>A bare read past the end (the masks' and the growth state's readers name where a state ends, themselves).</summary>
    private const string CutShort = "The saved state of the SparsityController ends early: it was cut short; give all that Save wrote.";


    private const string NotAState = "This is not the state of a SparsityController (it does not begin as SparsityController.Save writes); give what Save wrote.";

    private const string Damaged = "The saved state of the SparsityController is damaged (checksum mismatch): it was changed after Save wrote it; give what Save wrote, unchanged.";

    /// <summary>The frame of a state from version 3 on: its length, the state, its SHA-256.</summary>
    private static readonly ChecksummedBlock StateBlock = new("The saved state of the SparsityController", CutShort, Damaged);

    private void RequireMethod(string name)
    {
        if (name != Method.Name)
        {
            // A built-in method is chosen by the options; a method of the caller's own by the function given to Create.
            bool builtIn = compose is null && IsBuiltInName(name);
            throw new InvalidDataException($"The checkpoint was written by method {name}, this run uses {Method.Name}; " +
                (builtIn ? "resume with the same SparsityOptions.Method." : $"create the controller with the method that wrote it (for a method of your own, the same function as Create's method argument, making '{name}')."));
        }
    }

    /// <summary>The last step given to <see cref="AfterOptimizerStep"/> (0 before the first); after <see cref="Load"/>, the step the saved run had reached, so the next call takes this plus one.</summary>
    public long Step => disposed ? throw new ObjectDisposedException(nameof(SparsityController)) : lastStep;

    public void Dispose()
    {
        disposed = true;
        Release();
    }

    /// <summary>Disposes the masks, the generator and every piece of the method that holds resources.</summary>
    private void Release()
    {
        masks?.Dispose();
        generator?.Dispose();
        // The controller owns its method's pieces: every one that holds native or other resources is disposed once.
        object?[] pieces = [method?.Regenerator?.Growth, method?.Regenerator?.Drop, method?.Pruner, method?.Schedule, method?.Rate, method?.Distribution];
        foreach (var piece in pieces.OfType<IDisposable>().Distinct())
        {
            piece.Dispose();
        }
    }

    /// <summary>The method that <paramref name="method"/> makes for <paramref name="steps"/>, refused unless its pieces fit together.</summary>
    private static SparsityMethod Compose(Func<StepPlan, SparsityMethod> method, StepPlan steps)
    {
        var made = method(steps) ?? throw new ArgumentException("The function given for the sparsity method returned null; return a SparsityMethod (e.g. SparsityMethodFactory.Create(options, steps) with { ... }).", nameof(method));
        made.Validate();
        if (IsBuiltInName(made.Name))
        {
            // Save records the name and Load trusts it: a built-in method's state must not load into another composition, nor the reverse.
            throw new ArgumentException($"A method of your own is named '{made.Name}', a built-in method's name; give it a name of its own (with {{ Name = \"{made.Name}-mine\" }}): Save records it, and Load accepts only a state of the same name.", nameof(method));
        }
        return made;
    }

    /// <summary>Whether <paramref name="name"/> is a built-in method's (as the command line and saved states write it).</summary>
    private static bool IsBuiltInName(string name) => Enum.GetValues<SparsityMethodKind>().Any(k => EnumNames.Of(k) == name);

    /// <summary>A schedule of the caller's own must end within the run, with a pruning event at its end step.</summary>
    private static void RequireWithinRun(SparsityMethod plan, IPruningSchedule schedule, long totalRunSteps)
    {
        if (schedule.EndStep > totalRunSteps)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Sparsity method '{plan.Name}' has a Schedule ending at step {schedule.EndStep}, after this run's {totalRunSteps} steps, so the run would end above its final density {plan.FinalDensity:G6}; end the schedule within the run."), nameof(SparsityMethod.Schedule));
        }
        if (!schedule.IsPruningStep(schedule.EndStep))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Sparsity method '{plan.Name}' has a Schedule whose end step {schedule.EndStep} is not a pruning step, so the run would not reach its final density {plan.FinalDensity:G6}; make IsPruningStep true at EndStep."), nameof(SparsityMethod.Schedule));
        }
    }

    /// <summary>The start densities of <paramref name="plan"/>'s distribution, refused unless there is one per layer in (0, 1] and they add up to its start density.</summary>
    private static double[] StartDensities(SparsityMethod plan, MaskSet masks, bool own)
    {
        var densities = plan.Distribution.Densities(masks.Layers.Select(l => l.Shape).ToList(), plan.StartDensity);
        string what = $"The distribution of method '{plan.Name}' ({plan.Distribution.GetType().Name})";
        if (densities is null || densities.Length != masks.Layers.Count)
        {
            throw new ArgumentException($"{what} gave {(densities is null ? "no densities" : $"{densities.Length} densities")} for {masks.Layers.Count} masked layers; give one per layer, in the order of MaskSet.Layers.", nameof(SparsityMethod.Distribution));
        }
        // (A built-in distribution's empty layer is refused later, with its remedy, by RequireEveryLayerKept.)
        if (own && Array.FindIndex(densities, d => !(d > 0 && d <= 1)) is >= 0 and int bad)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{what} gave layer {masks.Layers[bad].Name} density {densities[bad]:G6}; each layer's density must lie in (0, 1]."), nameof(SparsityMethod.Distribution));
        }
        double overall = densities.Select((d, l) => d * masks.Layers[l].Count).Sum() / masks.Total;
        if (Math.Abs(overall - plan.StartDensity) > 1e-6)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{what} gave densities of overall density {overall:G6}, not the start density {plan.StartDensity:G6}; they must add up to it (Σ d_l N_l = d N)."), nameof(SparsityMethod.Distribution));
        }
        return densities;
    }

    /// <summary>
    /// Refuses a mask update over weights that hold a NaN or an infinity (a diverged run), before the step changes anything:
    /// ranked by magnitude, a NaN selects nothing or everything and exact selection fails on it, and masking leaves it in
    /// place (NaN × 0 is NaN). One pass over the weights per update event, none on other steps.
    /// </summary>
    private static void RequireFinite(MaskSet masks, long step)
    {
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        foreach (var layer in masks.Layers)
        {
            if (FiniteValues.CountNonFinite(layer.Weight) > 0)
            {
                throw new NonFiniteWeightsException(layer.Name, string.Create(CultureInfo.InvariantCulture,
                    $"{layer.Name} holds NaN or infinite weights at step {step}, a mask update: the training diverged, and magnitudes cannot rank such weights. Lower the learning rate or add a warm-up, and train again from the last checkpoint before it (or from the start)."));
            }
        }
    }

    /// <summary>
    /// Refuses a regeneration over a layer frozen after <c>Create</c> (<c>requires_grad</c> false): the weights grown there
    /// start at 0 and would never train, so each event would empty the layer a little more. (A layer frozen before
    /// <c>Create</c> is not masked at all.)
    /// </summary>
    private static void RequireTrainable(MaskSet masks)
    {
        if (masks.Layers.FirstOrDefault(l => !l.Weight.requires_grad) is { } frozen)
        {
            throw new InvalidOperationException($"{frozen.Name} no longer requires gradients (requires_grad was set to false after the controller was created), so the weights regeneration grows there would stay 0; set requires_grad back to true, or create the controller after freezing the layer (a frozen layer is then left unmasked).");
        }
    }

    /// <summary>Whether <paramref name="window"/> holds an update step within the run's <paramref name="totalSteps"/>.</summary>
    private static bool HasUpdateStep(UpdateWindow window, long totalSteps)
    {
        long first = ((window.StartStep / window.Interval) + 1) * window.Interval; // the first multiple after the start
        return first <= Math.Min(window.StopStep, totalSteps);
    }

    /// <summary>
    /// Refuses densities at which a layer would keep no weight at all (its output would no longer depend on its input):
    /// the method's start densities from its distribution, and the final densities of layer-wise pruning.
    /// </summary>
    private void RequireEveryLayerKept(MaskSet masks, SparsityMethod plan)
    {
        var sizes = masks.Layers.Select(l => l.Count).ToList();
        int Empty(double[] densities) => Enumerable.Range(0, sizes.Count).FirstOrDefault(l => MaskedLayer.KeepCount(densities[l], sizes[l]) < 1, -1);
        // A method of the caller's own is told by its own pieces; a built-in one by the options that made it.
        bool own = compose is not null;
        double final = plan.FinalDensity;
        if (plan.StartDensity < 1 && Empty(StartDensities(plan, masks, own)) is >= 0 and int start)
        {
            if (own)
            {
                Own(start, $"StartDensity {plan.StartDensity:G6} under its Distribution; raise it");
            }
            // ERK already gives small layers the most; the other distributions are told to try it.
            string remedy = options.Distribution == DistributionKind.ERK ? "raise it" : "raise it, or use ERK, which gives small layers more";
            Refuse(start, options.IsPruningMethod ? nameof(SparsityOptions.InitDensity) : nameof(SparsityOptions.FinalDensity), plan.StartDensity,
                $"the {OptionValueException.Format(options.Distribution)} distribution; {remedy}");
        }
        if (plan.Pruner is GlobalMagnitudePruner && MaskedLayer.KeepCount(final, masks.Total) < 1)
        {
            // Which layers global pruning empties shows only as it prunes; a density that keeps nothing at all is known now.
            throw own
                ? new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Sparsity method '{plan.Name}' ends at density {final:G6} (its Schedule), which keeps no weight of the model's {masks.Total:N0} (it rounds to 0 weights); make the schedule end higher."), nameof(SparsityMethod.Schedule))
                : new OptionValueException(nameof(SparsityOptions), nameof(SparsityOptions.FinalDensity), final,
                    string.Create(CultureInfo.InvariantCulture, $"keeps no weight of the model's {masks.Total:N0} (it rounds to 0 weights); raise it"));
        }
        if (plan.Pruner is LayerwiseMagnitudePruner layerwise && Empty(layerwise.TargetDensities(sizes, final)) is >= 0 and int emptied)
        {
            if (own)
            {
                Own(emptied, $"final density {final:G6} (its Schedule's) under layer-wise pruning; make the schedule end higher, or prune globally (GlobalMagnitudePruner)");
            }
            Refuse(emptied, nameof(SparsityOptions.FinalDensity), final, "layer-wise pruning; raise it, or use global pruning (granet, gmp)");
        }

        void Refuse(int layer, string property, double density, string remedy)
        {
            var l = masks.Layers[layer];
            throw new OptionValueException(nameof(SparsityOptions), property, density, $"leaves layer {l.Name} ({l.Count} weights) with no weight under {remedy}");
        }

        void Own(int layer, FormattableString what)
        {
            var l = masks.Layers[layer];
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Sparsity method '{plan.Name}' leaves layer {l.Name} ({l.Count} weights) with no weight at its ") + FormattableString.Invariant(what) + ".", nameof(SparsityMethod));
        }
    }

    /// <summary>Draws the initial masks (exact counts per layer); the weights are masked by the caller.</summary>
    private void InitialiseMasks()
    {
        var m = Masks;
        double[] densities = Method.StartDensity >= 1
            ? Enumerable.Repeat(1.0, m.Layers.Count).ToArray()
            : StartDensities(Method, m, compose is not null);
        using var guard = no_grad();
        for (int l = 0; l < m.Layers.Count; l++)
        {
            using var scope = NewDisposeScope();
            var layer = m.Layers[l];
            long keep = MaskedLayer.KeepCount(densities[l], layer.Count);
            var mask = zeros(layer.Count, ScalarType.Bool);
            if (keep >= layer.Count)
            {
                mask.fill_(HeldScalars.True);
            }
            else
            {
                var chosen = randperm(layer.Count, generator: generator).narrow(0, 0, keep);
                mask.index_fill_(0, chosen, HeldScalars.True);
            }
            layer.SetMask(mask);
        }
        m.ResetEverActive();
    }

    /// <summary>A mask update as it stands now (density, ever-active share).</summary>
    private MaskUpdate Describe(long step, MaskUpdateKind kind, double? rate, IReadOnlyList<LayerUpdate> layers)
    {
        return new MaskUpdate(step, kind, Density, rate, layers, Method.MasksWeights ? Masks.EverActiveFraction : 1);
    }

    /// <summary>Steps of the run this controller is attached to.</summary>
    public long TotalSteps => Live.totalSteps;
}
