using System.Diagnostics;
using System.Runtime.InteropServices;
using GraNet.Data;
using GraNet.Models;
using GraNet.Runtime;
using static TorchSharp.torch;

namespace GraNet.Inference;

/// <summary>
/// Inference with real sparsity: a trained <see cref="ISequentialNetwork"/> whose convolution
/// and linear layers each run on the fastest of <see cref="LayerKernel"/> at the batch size being
/// served. The first batch of each size triggers a short calibration that times every kernel on
/// every layer (the layer's real input at that size) and keeps the fastest; a sparse kernel is
/// chosen only when it beats libtorch's dense one, so no layer runs slower than dense. What was
/// measured is kept in <see cref="Calibrations"/> and reported through <see cref="Calibrated"/>.
/// A batch normalisation right after a convolution is folded into it with its running statistics, so
/// the model must be in evaluation mode. Every layer's kernels, dense ones included, run the weights read when this
/// is made; a batch size for which calibration keeps the plain dense pass runs the model's own modules, so after changing
/// the model's weights make a new <see cref="SparseNetwork"/>. The module is not owned: dispose it after this.
/// </summary>
public sealed class SparseNetwork : nn.Module<Tensor, Tensor>
{
    /// <summary>A sparse kernel or plan is kept only when it takes less than this share of the dense time, so that timing noise cannot make a layer slower than dense.</summary>
    public const double Margin = 0.95;

    private readonly IReadOnlyList<NetworkStage> stages;
    private readonly Dictionary<NetworkStage, SparseLayer> layers = [];
    private readonly Dictionary<int, Dictionary<SparseLayer, LayerKernel>> plans = [];
    private readonly List<LayerCalibration> calibrations = [];
    private readonly List<ModelCalibration> wholeModel = [];
    private readonly ImageShape input;
    private LayerKernel? forced;

    public SparseNetwork(ISequentialNetwork network, ImageShape input, int threads = 1)
        : base("sparse-network")
    {
        ArgumentNullException.ThrowIfNull(network);
        stages = network.Stages;
        this.input = input;
        Threads = Math.Max(1, threads);
        RequireEvaluationMode();
        try
        {
            Register(stages);
        }
        catch
        {
            // The layers made before the one refused hold native copies of their weights.
            foreach (var layer in layers.Values)
            {
                layer.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// Refuses batch norms in training mode: calibration runs the stages on random images, which would move their running
    /// statistics, and the folded layers hold the statistics of when this was made. Checked when made and at each calibration
    /// (a model put back into training mode after).
    /// </summary>
    private void RequireEvaluationMode()
    {
        if (AllStages(stages).OfType<BatchNormStage>().FirstOrDefault(norm => norm.Layer.training) is { } training)
        {
            throw new InvalidOperationException($"{training.Name} is in training mode, where batch normalisation uses each batch's statistics: call eval() on the model before making its sparse form or serving it.");
        }
    }

    /// <summary>Makes the sparse form of every convolution (with the batch norm right after it folded in) and linear layer, residual blocks included.</summary>
    private void Register(IReadOnlyList<NetworkStage> list)
    {
        for (int i = 0; i < list.Count; i++)
        {
            switch (list[i])
            {
                case ConvolutionStage convolution:
                    layers.Add(convolution, new SparseLayer(convolution, i + 1 < list.Count ? list[i + 1] as BatchNormStage : null));
                    break;
                case LinearStage linear:
                    layers.Add(linear, new SparseLayer(linear));
                    break;
                case ResidualStage residual:
                    Register(residual.Main);
                    Register(residual.Shortcut);
                    break;
            }
        }
    }

    /// <summary>Every stage in order, those inside residual blocks (main path, then shortcut) after their block.</summary>
    private static IEnumerable<NetworkStage> AllStages(IReadOnlyList<NetworkStage> list) =>
        list.SelectMany(stage => stage is ResidualStage residual ? AllStages(residual.Main).Concat(AllStages(residual.Shortcut)).Prepend(stage) : [stage]);

    /// <summary>Raised after each calibration, with one entry per layer.</summary>
    public event EventHandler<IReadOnlyList<LayerCalibration>>? Calibrated;

    /// <summary>Threads for our CSR kernel (libtorch's own kernels use torch's thread setting).</summary>
    public int Threads { get; }

    /// <summary>Everything measured so far, in calibration order.</summary>
    public IReadOnlyList<LayerCalibration> Calibrations => calibrations;

    /// <summary>The whole-network comparisons made so far, one per calibration.</summary>
    public IReadOnlyList<ModelCalibration> ModelCalibrations => wholeModel;

    /// <summary>The layers that have a sparse form, in order.</summary>
    public IEnumerable<SparseLayer> Layers => AllStages(stages).Where(layers.ContainsKey).Select(stage => layers[stage]);

    /// <summary>Runs every layer with one kernel, whatever the batch size (instead of calibrating).</summary>
    public void UseForAll(LayerKernel kernel) => forced = kernel;

    /// <summary>
    /// Times each kernel on each layer at <paramref name="batch"/> and keeps the fastest for that
    /// batch size; then times the whole network that way against the plain dense forward pass and
    /// keeps the plain one unless the sparse plan is faster.
    /// </summary>
    public IReadOnlyList<LayerCalibration> Calibrate(int batch, int minimumRepetitions = 3, double secondsPerKernel = 0.02)
    {
        if (batch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), $"Batch size {batch} must be at least 1.");
        }
        RequireEvaluationMode();
        var plan = new Dictionary<SparseLayer, LayerKernel>();
        var measured = new List<LayerCalibration>();
        using var guard = no_grad();
        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator(1);
        Tensor sample = randn([batch, input.Channels, input.Height, input.Width], generator: generator);
        CalibrateStages(stages, sample, batch, plan, measured, minimumRepetitions, secondsPerKernel);
        // The whole pass decides between the plain dense pass and the plan run through the engine (its own pooling,
        // ReLU fused, and feature-major layout), even when every layer chose a dense kernel: the engine's pooling alone
        // can beat libtorch's. It gets three times a layer's budget, alternating the two so that drift hits both.
        plans[batch] = plan;
        double planned = double.MaxValue;
        double plain = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            planned = Math.Min(planned, Time(() => Run(sample, plan), minimumRepetitions, secondsPerKernel));
            plain = Math.Min(plain, Time(() => SequentialForward.Run(stages, sample), minimumRepetitions, secondsPerKernel));
        }
        if (planned >= Margin * plain)
        {
            plans[batch] = [];
        }
        wholeModel.Add(new ModelCalibration(batch, plain * 1000, planned * 1000, plans[batch].Count > 0));
        calibrations.AddRange(measured);
        Calibrated?.Invoke(this, measured);
        return measured;
    }

    /// <summary>
    /// Times every layer of <paramref name="list"/> on its input from <paramref name="input"/>, into the plan; returns the
    /// list's dense output (<paramref name="input"/> itself for an empty list). Each intermediate is disposed as soon as the
    /// next exists: a ResNet-50's at batch 1000 would not fit in memory all at once.
    /// </summary>
    private Tensor CalibrateStages(IReadOnlyList<NetworkStage> list, Tensor input, int batch, Dictionary<SparseLayer, LayerKernel> plan, List<LayerCalibration> measured, int minimumRepetitions, double secondsPerKernel)
    {
        Tensor current = input;
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is ResidualStage residual)
            {
                foreach (var path in new[] { residual.Main, residual.Shortcut })
                {
                    var output = CalibrateStages(path, current, batch, plan, measured, minimumRepetitions, secondsPerKernel);
                    if (!ReferenceEquals(output, current))
                    {
                        output.Dispose();
                    }
                }
            }
            else if (layers.TryGetValue(list[i], out var layer))
            {
                var x = current;
                using var columns = list[i] is LinearStage ? ToFeatureMajor(x) : null;
                bool relu = FusesRelu(list, i);
                Func<LayerKernel, Func<Tensor>> run = columns is not null
                    ? kernel => () => layer.ForwardFeatureMajor(columns, kernel, Threads, relu)
                    : kernel => () => layer.Forward(x, kernel, Threads);
                double dense = Time(run(LayerKernel.Dense), minimumRepetitions, secondsPerKernel);
                var denseKernel = LayerKernel.Dense;
                if (columns is not null)
                {
                    // The fair dense reference for a linear layer is the faster of its two dense layouts.
                    double batchMajor = Time(run(LayerKernel.DenseBatchMajor), minimumRepetitions, secondsPerKernel);
                    (dense, denseKernel) = batchMajor < dense ? (batchMajor, LayerKernel.DenseBatchMajor) : (dense, LayerKernel.Dense);
                }
                // A sparse kernel at three times the dense time after its first round does not win: its other rounds are skipped.
                // (Not twice: through im2col a first round can take twice as long as the best, while libtorch's allocator warms up.)
                double csr = Time(run(LayerKernel.Csr), minimumRepetitions, secondsPerKernel, giveUpAbove: 3 * dense);
                double libTorch = Time(run(LayerKernel.LibTorchCsr), minimumRepetitions, secondsPerKernel, giveUpAbove: 3 * dense);
                var choice = denseKernel;
                if (csr < Margin * dense && csr <= libTorch)
                {
                    choice = LayerKernel.Csr;
                }
                else if (libTorch < Margin * dense && libTorch < csr)
                {
                    choice = LayerKernel.LibTorchCsr;
                }
                plan[layer] = choice;
                measured.Add(new LayerCalibration(layer.Name, string.Join("x", layer.Shape), layer.Csr.Density, batch, dense * 1000, csr * 1000, libTorch * 1000, choice));
            }
            Replace(ref current, list[i].Forward(current), input);
        }
        return current;
    }

    /// <summary>Whether calibration at <paramref name="batch"/> kept a sparse kernel for at least one layer (and the engine's plan, not the plain dense pass).</summary>
    public bool RunsSparse(int batch) => forced is { } kernel ? !kernel.IsDense() : plans.TryGetValue(batch, out var plan) && plan.Values.Any(k => !k.IsDense());

    /// <summary>Whether calibration at <paramref name="batch"/> kept the engine's plan (its pooling and layout, with each layer's chosen kernel) over the plain dense pass.</summary>
    public bool UsesPlan(int batch) => forced is not null || (plans.TryGetValue(batch, out var plan) && plan.Count > 0);

    /// <param name="input"><c>[N, C, H, W]</c> images.</param>
    /// <returns><c>[N, classes]</c> logits.</returns>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        RequireShape(input);
        RequireEvaluationMode();
        using var guard = no_grad();
        if (forced is { } kernel)
        {
            return Run(input, layers.Values.ToDictionary(layer => layer, _ => kernel));
        }
        int batch = (int)input.size(0);
        if (!plans.TryGetValue(batch, out var plan))
        {
            Calibrate(batch);
            plan = plans[batch];
        }
        return plan.Count == 0 ? SequentialForward.Run(stages, input) : Run(input, plan);
    }

    /// <summary>
    /// Refuses an input of another shape than the network was made for (the kernels would index past it): images
    /// <c>[N, C, H, W]</c>, or rows <c>[N, C·H·W]</c> for a network that flattens first; of another type than float32 (the
    /// kernels read its bytes as float32); or of no sample.
    /// </summary>
    private void RequireShape(Tensor x)
    {
        if (x.dtype != ScalarType.Float32)
        {
            throw new ArgumentException($"The input holds {x.dtype} values; sparse inference runs on float32: convert it with .to(ScalarType.Float32).", nameof(x));
        }
        bool images = x.dim() == 4 && x.size(1) == input.Channels && x.size(2) == input.Height && x.size(3) == input.Width;
        bool takesRows = stages.Count > 0 && stages[0] is FlattenStage or LinearStage;
        bool rows = takesRows && x.dim() == 2 && x.size(1) == input.Size;
        if (!images && !rows)
        {
            throw new ArgumentException(
                $"The input is [{string.Join(", ", x.shape)}]; this network was made for [N, {input.Channels}, {input.Height}, {input.Width}] images{(takesRows ? $" or [N, {input.Size}] rows" : string.Empty)} (the ImageShape given to SparseNetwork).",
                nameof(x));
        }
        if (x.size(0) == 0)
        {
            throw new ArgumentException("The input holds no sample (a batch of 0); give at least one.", nameof(x));
        }
    }

    /// <summary>
    /// The forward pass with the given kernels. Linear layers work on feature-major activations
    /// (<c>[features, N]</c>) from the first one on, so that our kernel vectorises over the batch
    /// and consecutive layers need no transposes; a ReLU right after a linear layer is fused into it.
    /// </summary>
    private Tensor Run(Tensor input, Dictionary<SparseLayer, LayerKernel> plan)
    {
        var current = RunStages(stages, input, plan, out bool featureMajor);
        if (!featureMajor)
        {
            return current;
        }
        // A transposed view (the storage stays alive with it): copying 10 x N logits back costs more than the last layer.
        var logits = current.t();
        current.Dispose();
        return logits;
    }

    /// <summary>Runs <paramref name="list"/> on <paramref name="input"/> (returned as it is when the list is empty); <paramref name="featureMajor"/>: the result is <c>[features, N]</c>.</summary>
    private Tensor RunStages(IReadOnlyList<NetworkStage> list, Tensor input, Dictionary<SparseLayer, LayerKernel> plan, out bool featureMajor)
    {
        Tensor current = input;
        featureMajor = false;
        bool borrowed = true; // current is the caller's input, or a view of it (a flatten): not to be changed in place
        for (int i = 0; i < list.Count; i++)
        {
            var stage = list[i];
            Tensor next;
            if (stage is LinearStage && layers.TryGetValue(stage, out var linear))
            {
                if (!featureMajor)
                {
                    next = ToFeatureMajor(current);
                    Replace(ref current, next, input);
                    featureMajor = true;
                }
                bool relu = FusesRelu(list, i);
                next = linear.ForwardFeatureMajor(current, plan.GetValueOrDefault(linear), Threads, relu);
                if (relu)
                {
                    i++;
                }
            }
            else if (featureMajor)
            {
                next = stage is ReluStage ? nn.functional.relu(current) : throw new NotSupportedException($"{stage} after a linear layer is not supported by sparse execution.");
            }
            else if (stage is MaxPoolStage { Kernel: 2 } || (stage is ReluStage && i + 1 < list.Count && list[i + 1] is MaxPoolStage { Kernel: 2 }))
            {
                bool relu = stage is ReluStage;
                next = MaxPool2(current, relu);
                if (relu)
                {
                    i++;
                }
            }
            else if (stage is ReluStage && !borrowed)
            {
                // The engine's own activation (a stage's output, or a view of one that no one else holds): in place, without
                // allocating another of the same size.
                current.relu_();
                continue;
            }
            else if (layers.TryGetValue(stage, out var convolution))
            {
                next = convolution.Forward(current, plan.GetValueOrDefault(convolution), Threads);
                if (convolution.Norm is not null)
                {
                    i++; // folded into the convolution
                }
            }
            else if (stage is ResidualStage residual)
            {
                next = RunResidual(residual, current, plan);
            }
            else
            {
                next = stage.Forward(current);
            }
            Replace(ref current, next, input);
            borrowed &= stage is FlattenStage;
        }
        return current;
    }

    /// <summary><c>relu(main(x) + shortcut(x))</c>, both paths through the engine.</summary>
    private Tensor RunResidual(ResidualStage residual, Tensor x, Dictionary<SparseLayer, LayerKernel> plan)
    {
        var main = RunStages(residual.Main, x, plan, out bool mainRows);
        var shortcut = RunStages(residual.Shortcut, x, plan, out bool shortcutRows);
        if (mainRows || shortcutRows)
        {
            throw new NotSupportedException("A residual block with linear layers is not supported by sparse execution.");
        }
        Tensor sum;
        if (residual.Main.All(stage => stage is FlattenStage))
        {
            // main is x, or a view of it: not to be added to in place.
            sum = main.add(shortcut, HeldScalars.One);
            if (!ReferenceEquals(main, x))
            {
                main.Dispose();
            }
        }
        else
        {
            sum = main;
            sum.add_(shortcut, HeldScalars.One);
        }
        if (!ReferenceEquals(shortcut, x))
        {
            shortcut.Dispose();
        }
        sum.relu_();
        return sum;
    }

    /// <summary>Our 2 x 2 max-pooling (with the preceding ReLU fused): libtorch's single-threaded max_pool2d takes several times longer than the convolutions around it.</summary>
    private static Tensor MaxPool2(Tensor images, bool relu)
    {
        using var source = images.contiguous();
        long planes = source.shape[0] * source.shape[1];
        int height = (int)source.shape[2];
        int width = (int)source.shape[3];
        var pooled = empty(source.shape[0], source.shape[1], height / 2, width / 2);
        SparseKernels.MaxPool2(MemoryMarshal.Cast<byte, float>(source.bytes), (int)planes, height, width, MemoryMarshal.Cast<byte, float>(pooled.bytes), relu);
        return pooled;
    }

    private static bool FusesRelu(IReadOnlyList<NetworkStage> list, int stage) => stage + 1 < list.Count && list[stage + 1] is ReluStage;

    private static void Replace(ref Tensor current, Tensor next, Tensor input)
    {
        if (!ReferenceEquals(current, input))
        {
            current.Dispose();
        }
        current = next;
    }

    /// <summary><c>[N, features]</c> (after flatten) → contiguous <c>[features, N]</c>.</summary>
    private static Tensor ToFeatureMajor(Tensor rows)
    {
        using var flat = rows.dim() == 2 ? rows.alias() : rows.flatten(1);
        long n = flat.shape[0];
        long features = flat.shape[1];
        if (n == 1)
        {
            using var column = flat.reshape(features, 1);
            return column.contiguous();
        }
        using var source = flat.contiguous();
        var columns = empty(features, n);
        SparseKernels.Transpose(MemoryMarshal.Cast<byte, float>(source.bytes), (int)n, (int)features, MemoryMarshal.Cast<byte, float>(columns.bytes));
        return columns;
    }

    /// <summary>
    /// Best mean time per call over three rounds of at least <paramref name="minimum"/> calls and <paramref name="seconds"/>
    /// (one call per round when the first, warm-up call alone took longer than <paramref name="seconds"/>: such calls vary
    /// little, and VGG's at batch 64 take up to a quarter of a second); after a round slower than
    /// <paramref name="giveUpAbove"/> seconds per call, that round's time.
    /// </summary>
    private static double Time(Func<Tensor> run, int minimum, double seconds, double giveUpAbove = double.MaxValue)
    {
        var warmUp = Stopwatch.StartNew();
        run().Dispose();
        if (warmUp.Elapsed.TotalSeconds > seconds)
        {
            minimum = 1;
        }
        double best = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            int count = 0;
            var clock = Stopwatch.StartNew();
            while (count < minimum || clock.Elapsed.TotalSeconds < seconds / 3)
            {
                run().Dispose();
                count++;
            }
            best = Math.Min(best, clock.Elapsed.TotalSeconds / count);
            if (best > giveUpAbove)
            {
                break;
            }
        }
        return best;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var layer in layers.Values)
            {
                layer.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}
