using System.CommandLine;
using System.Globalization;
using GraNet.Data;
using GraNet.Inference;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Cli.Commands;

/// <summary>
/// <c>granet bench inference</c>: dense vs sparse inference of a trained model (or of an
/// architecture pruned at random init, for timing only) — every layer's calibration at batch 1
/// and at the throughput batch size, then the whole model's latency and throughput and the
/// largest difference of its logits. Prints Markdown tables.
/// </summary>
public static class BenchInferenceCommand
{
    public static Command Create(TextWriter output)
    {
        var file = new Option<string?>("--model", "-m") { Description = "A compact model or checkpoint to time" };
        var architecture = new Option<string>("--architecture") { Description = "Without --model: this architecture (any of 'granet list'), every layer magnitude-pruned at random init to each --densities value (timing only)", DefaultValueFactory = _ => "lenet-300-100", CustomParser = r => TrainOptions.ModelOption(r, "--architecture") };
        var densities = new Option<string>("--densities") { Description = "Comma-separated densities for --architecture", DefaultValueFactory = _ => "0.02" };
        var dataset = new Option<string>("--dataset", "-d") { Description = "For --architecture: input shape and classes of this data set (no data is read)", DefaultValueFactory = _ => "fashion-mnist", CustomParser = r => TrainOptions.DatasetOption(r, "--dataset") };
        var batch = new Option<int>("--batch-size") { Description = "Throughput batch size", DefaultValueFactory = _ => 64 };
        var threads = new Option<int?>("--threads") { Description = "Threads (default 1: the goals are stated for one core)" };
        var command = new Command("inference", "Dense vs sparse inference: per-layer calibration, latency at batch 1, throughput, output difference.") { file, architecture, densities, dataset, batch, threads };
        command.SetAction(parse =>
        {
            // Every option is checked before anything is printed or timed.
            int b = BenchCommand.Count(parse.GetValue(batch), "--batch-size", BenchCommand.MaxBatch);
            TorchRuntime.Configure(TrainOptions.CheckThreads(parse.GetValue(threads) ?? 1));
            if (GivenText.Require(parse.GetValue(file), "--model", "give a .ckpt file from 'granet train' or a model from 'granet export', or leave the option out to time --architecture") is { } path)
            {
                var ignored = new Option[] { architecture, densities, dataset }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (ignored.Count > 0)
                {
                    throw new ArgumentException($"{string.Join(", ", ignored)} {(ignored.Count == 1 ? "applies" : "apply")} to a random network (without --model); --model {path} is timed as trained, on its own input. Drop {(ignored.Count == 1 ? "it" : "them")} or --model.");
                }
                if (!File.Exists(path) && !Directory.Exists(path) && IsModelName(path))
                {
                    // 'bench sparse --model' takes a model's name; here --model is a file, and a name goes to --architecture.
                    throw new ArgumentException($"--model {path}: no such file; --model takes a trained model file (.ckpt or .gsm). To time {path} with random weights, give --architecture {path}.");
                }
                using var trained = TrainedModel.Load(path, parse.GetValue(threads) ?? 1);
                Run(output, trained.Module, trained.Dataset.Shape, $"{trained.Model} from {path} ({trained.Description})", b);
                return ExitCodes.Success;
            }
            var info = ModelRegistry.Get(parse.GetValue(architecture)!);
            var spec = DatasetCatalog.Get(parse.GetValue(dataset)!);
            var levels = BenchCommand.Once(TrainOptions.ParseList(parse.GetValue(densities)!, "--densities", TrainOptions.ParseDensity), "--densities", d => d.ToString(CultureInfo.InvariantCulture));
            // A model that cannot take the data set's images is refused before anything is timed.
            BenchCommand.CreateFor(info, spec, "--architecture", "Choose another --dataset or --architecture.", datasetGiven: parse.GetResult(dataset) is { Implicit: false }).Dispose();
            // Every density is checked before anything is timed. An empty layer's output no
            // longer depends on its input: nothing a trained model would be, and no timing of one.
            foreach (double density in levels)
            {
                using var probe = info.Create(spec.Shape, spec.Classes);
                using var masks = MaskSet.ForModel(probe, null);
                new LayerwiseMagnitudePruner(classifierRule: false).Prune(masks, density);
                if (masks.Layers.FirstOrDefault(l => l.ActiveCount == 0) is { } emptied)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"--densities {density:0.##########} leaves {emptied.Name} of {info.Name} ({emptied.Count:N0} weights) no weight; give densities of at least {1.0 / masks.Layers.Min(l => l.Count):G3}."));
                }
            }
            foreach (double density in levels)
            {
                manual_seed(1);
                using var module = info.Create(spec.Shape, spec.Classes);
                using (var masks = MaskSet.ForModel(module, null))
                {
                    new LayerwiseMagnitudePruner(classifierRule: false).Prune(masks, density);
                    masks.Apply();
                }
                Run(output, module, spec.Shape, string.Create(CultureInfo.InvariantCulture, $"{info.Name} for {spec.Name} ({spec.Shape} input, {spec.Classes} classes), every layer pruned to density {density} (random weights; timing only)"), b);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Run(TextWriter output, nn.Module<Tensor, Tensor> module, ImageShape shape, string label, int batch)
    {
        if (module is not ISequentialNetwork network)
        {
            throw new ArgumentException($"{label}: {module.GetName()} does not list its layers as stages, so sparse execution cannot run it; it runs dense in 'granet infer' and has no sparse kernels to time.");
        }
        module.eval();
        // Where the start-up check turned oneDNN's convolutions off, they run this model's if they compute all of them right,
        // as in infer: else every dense figure is libtorch's own convolutions' (ResNet-20's dense pass about 10x slower there).
        using var convolutions = ConvolutionCheck.For(module, shape);
        using var engine = new SparseNetwork(network, shape, TorchRuntime.Threads ?? 1);
        output.WriteLine($"## {label}; {TorchRuntime.Threads} thread(s)");
        output.WriteLine();
        if (convolutions.Note is { } convolutionNote)
        {
            output.WriteLine($"note: {convolutionNote}");
            output.WriteLine();
        }
        output.WriteLine("| layer | shape | density | batch | dense ms | our CSR ms | libtorch CSR ms | chosen | speed-up |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var calibrationSeconds = new Dictionary<int, double>();
        foreach (int size in new[] { 1, batch }.Distinct())
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var measured = engine.Calibrate(size);
            calibrationSeconds[size] = clock.Elapsed.TotalSeconds;
            foreach (var c in measured)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {c.Layer} | {c.Shape} | {c.Density:0.0000} | {c.Batch} | {c.DenseMilliseconds:F4} | {c.CsrMilliseconds:F4} | {c.LibTorchCsrMilliseconds:F4} | {Name(c.Choice)} | {c.DenseMilliseconds / c.ChosenMilliseconds:F2}x |"));
            }
        }
        output.WriteLine();
        foreach (var m in engine.ModelCalibrations)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Calibration, whole model at batch {m.Batch}: dense {m.DenseMilliseconds:F4} ms, per-layer plan {m.SparseMilliseconds:F4} ms -> {(m.UsesPlan ? "plan" : "dense")} (calibrating took {calibrationSeconds[m.Batch]:F1} s)."));
        }
        output.WriteLine();
        // The engine gains without any sparse kernel too (its pooling, ReLU fused, and feature-major layout): the same engine
        // with every layer on libtorch's dense kernel, timed against the chosen plan, separates the two.
        using var allDense = new SparseNetwork(network, shape, TorchRuntime.Threads ?? 1);
        allDense.UseForAll(LayerKernel.Dense);
        output.WriteLine("| whole model | dense ms | sparse ms | speed-up | engine, dense kernels ms | sparse kernels' gain | sparse images/s | dense images/s | max logit difference: absolute (relative) |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (int size in new[] { 1, batch }.Distinct())
        {
            using var x = randn(size, shape.Channels, shape.Height, shape.Width);
            using var guard = no_grad();
            var (dense, sparse) = Compare(() => module.call(x).Dispose(), () => engine.call(x).Dispose());
            var (engineDense, sparseAgain) = Compare(() => allDense.call(x).Dispose(), () => engine.call(x).Dispose());
            // Only a plan that runs some layer sparse has a gain from sparse kernels to show.
            // The sparse time it was timed with is shown beside it: each pair is timed together, so the ratio comes from its own pair.
            string gain = engine.RunsSparse(size) ? string.Create(CultureInfo.InvariantCulture, $"{engineDense / sparseAgain:F2}x (sparse {sparseAgain * 1000:F4} ms)") : "– (no layer runs sparse)";
            float difference;
            float largest;
            using (var scope = NewDisposeScope())
            {
                var reference = module.call(x);
                var ours = engine.call(x);
                difference = (reference - ours).abs().max().item<float>();
                // Relative to the largest logit: random weights at a low density give logits of 1e-6 (VGG-16), where any absolute difference is small.
                largest = reference.abs().max().item<float>();
            }
            string relative = largest > 0 ? string.Create(CultureInfo.InvariantCulture, $"{difference / largest:G2}") : "–";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| batch {size} | {dense * 1000:F4} | {sparse * 1000:F4} | {dense / sparse:F2}x | {engineDense * 1000:F4} | {gain} | {size / sparse:F0} | {size / dense:F0} | {difference:G2} ({relative}) |"));
        }
        output.WriteLine();
        output.WriteLine("speed-up: libtorch's dense forward pass against what the engine serves (its plan, or the plain dense pass where that was as fast); sparse kernels' gain: the engine with every layer on libtorch's dense kernel against the same, timed together (the sparse time of that pair in brackets; it differs from the sparse column by the machine's drift). The engine's own pooling and layout make up the rest: a gain where pooling is heavy (LeNet-5-Caffe), a cost where layers are small.");
        output.WriteLine();
    }

    /// <summary>Whether <paramref name="text"/> names a model of <c>granet list</c> (aliases too, as <c>--architecture</c> takes them).</summary>
    private static bool IsModelName(string text)
    {
        try
        {
            ModelRegistry.Get(text);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Best steady-state time of each of two actions, timed alternately three times so that drift of the machine hits both.</summary>
    private static (double First, double Second) Compare(Action first, Action second)
    {
        double a = double.MaxValue;
        double b = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            a = Math.Min(a, BenchCommand.Time(first));
            b = Math.Min(b, BenchCommand.Time(second));
        }
        return (a, b);
    }

    internal static string Name(LayerKernel kernel) => kernel switch
    {
        LayerKernel.Csr => "our CSR",
        LayerKernel.LibTorchCsr => "libtorch CSR",
        _ => "dense",
    };
}
