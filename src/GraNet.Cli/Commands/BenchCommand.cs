using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GraNet.Cli.Configuration;
using GraNet.Data;
using GraNet.Inference;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Sparsity;
using GraNet.Sparsity.Criteria;
using GraNet.Training.Optimizers;
using static TorchSharp.torch;

namespace GraNet.Cli.Commands;

/// <summary>
/// <c>granet bench sparse</c>: times a training step dense vs with a sparsity method, one mask
/// update (global pruning and one regeneration), and reports the mask memory. A benchmark
/// that prints figures, not a test.
/// </summary>
public static class BenchCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model", "-m") { Description = "Model name", DefaultValueFactory = _ => "lenet5-caffe", CustomParser = r => TrainOptions.ModelOption(r, "--model") };
        var dataset = new Option<string>("--dataset", "-d") { Description = "Input shape and classes of this data set (no data is read)", DefaultValueFactory = _ => "fashion-mnist", CustomParser = r => TrainOptions.DatasetOption(r, "--dataset") };
        var batch = new Option<int>("--batch-size") { Description = "Batch size", DefaultValueFactory = _ => 128 };
        var steps = new Option<int>("--steps") { Description = "Timed steps per variant", DefaultValueFactory = _ => 20 };
        var threads = new Option<int?>("--threads") { Description = "Intra-op threads (default: cores, at most 4)" };
        var kernels = new Option<CpuKernels?>("--cpu-kernels")
        {
            Description = "Instruction set of libtorch's CPU kernels (default auto: the best this CPU has)",
            HelpName = string.Join("|", EnumNames.All(typeof(CpuKernels))),
            CustomParser = r => TrainOptions.EnumOption<CpuKernels>(r, "--cpu-kernels"),
        };
        var method = new Option<string>("--method") { Description = "Sparse methods to compare with dense, comma-separated (e.g. granet,gmp,rigl,set,snfs,static)", DefaultValueFactory = _ => "granet" };
        var sparse = new Command("sparse", "Time a training step dense vs sparse, one mask update, and the mask memory.") { model, dataset, batch, steps, threads, kernels, method };
        sparse.SetAction(parse =>
        {
            // Every option is checked before anything is printed or timed.
            int b = Count(parse.GetValue(batch), "--batch-size", MaxBatch);
            int n = Count(parse.GetValue(steps), "--steps", MaxSteps);
            TorchRuntime.Configure(TrainOptions.CheckThreads(parse.GetValue(threads) ?? Math.Min(TorchRuntime.DefaultThreads, TrainOptions.MaxThreads)),
                TrainOptions.KernelsToRun(parse.GetValue(kernels), CpuKernels.Auto, null, Environment.GetEnvironmentVariable(CpuKernelSets.AtenVariable), CpuKernelSets.IsSupported));
            var spec = DatasetCatalog.Get(parse.GetValue(dataset)!);
            var info = ModelRegistry.Get(parse.GetValue(model)!);
            var kinds = Once(TrainOptions.ParseList(parse.GetValue(method)!, "--method", text => TrainOptions.ParseEnum<SparsityMethodKind>(text, "--method")), "--method", TrainOptions.MethodName);
            if (kinds.Contains(SparsityMethodKind.Dense))
            {
                throw new ArgumentException("--method dense: bench sparse times every method against the dense step, which it always times; give sparse methods only (e.g. granet,gmp,rigl,set,snfs,static).");
            }
            // A model that cannot take the data set's images is refused here, not after the first figures; where oneDNN's
            // convolutions were found wrong, they run the model's if they compute all of them right (every variant's is this one's).
            using var probe = CreateFor(info, spec, "--model", "Choose another --dataset or --model.", datasetGiven: parse.GetResult(dataset) is { Implicit: false });
            using var convolutions = ConvolutionCheck.For(probe, spec.Shape);
            if (convolutions.Note is { } convolutionNote)
            {
                output.WriteLine($"note: {convolutionNote}");
            }
            output.WriteLine($"{info.Name}, input {spec.Shape}, batch {b}, {TorchRuntime.Threads} thread{(TorchRuntime.Threads == 1 ? string.Empty : "s")}, {EnumNames.Of(TorchRuntime.Kernels!.Value)} CPU kernels, {n} timed steps after 3 warm-up steps");
            var denseSteps = TimeSteps(info, spec, b, n, null, out _);
            double dense = Median(denseSteps);
            long denseGrowth = LastMemoryGrowth;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"training step, dense:             {dense * 1000,9:F1} ms  {Spread(denseSteps)}"));
            (double Prune, double Regenerate, double Apply, long Weights) first = default;
            foreach (var kind in kinds)
            {
                // A run of 2 epochs of n + 3 steps, of which the first epoch is run: the first mask update (step n + 4) and
                // the end of pruning (epoch 2) are never reached, so the steps time masking alone.
                var options = new SparsityOptions { Method = kind, InitDensity = 0.5, FinalDensity = 0.05, UpdateInterval = n + 4, PruneEndEpoch = 2 };
                var maskedSteps = TimeSteps(info, spec, b, n, options, out var updateTimes);
                double masked = Median(maskedSteps);
                first = first.Weights == 0 ? updateTimes : first;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"training step, {TrainOptions.MethodName(kind),-8} (masked): {masked * 1000,9:F1} ms  {Spread(maskedSteps)}  ({masked / dense:F3}x dense)"));
            }
            long maskedGrowth = LastMemoryGrowth;
            // Timed one after another, the step times drift with the machine: measured again, the dense step shows by how much.
            var denseAgain = TimeSteps(info, spec, b, n, null, out _);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"training step, dense, again:      {Median(denseAgain) * 1000,9:F1} ms  {Spread(denseAgain)}  ({Median(denseAgain) / dense:F3}x the first)"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"resident memory change over {n} timed steps: dense {denseGrowth / 1048576.0:+0.0;-0.0;0.0} MiB, masked ({TrainOptions.MethodName(kinds[^1])}) {maskedGrowth / 1048576.0:+0.0;-0.0;0.0} MiB"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"masking after each step (weights and optimizer state): {first.Apply * 1000:F2} ms, {100 * first.Apply / dense:F1} % of the dense step"));
            // A masked step runs the dense step's kernels and then masks (every maskable weight and its state, whatever the
            // density: the same for every method); said, so that a ratio below 1 is read as the drift the second dense figure shows.
            bool snfs = kinds.Contains(SparsityMethodKind.Snfs);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"a masked step computes the dense step and then masks (the same work for every method), so it is expected at {1 + (first.Apply / dense):F3}x dense{(snfs ? "; snfs also updates a dense momentum of the gradients every step (its growth criterion), so it costs more" : string.Empty)}; other ratios further off are timing drift of this machine (compare the two dense figures), not the method"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mask update: global prune {first.Prune * 1000:F1} ms, regeneration {first.Regenerate * 1000:F1} ms over {first.Weights:N0} maskable weights"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mask memory: {first.Weights:N0} bytes (1 byte per weight) + the same again for the ever-active record"));
            return ExitCodes.Success;
        });
        return new Command("bench", "Benchmarks that print figures.") { sparse, BenchInferenceCommand.Create(output), BenchDataCommand.Create(output) };
    }

    /// <summary>The most timed steps <c>bench sparse</c> takes (far more than a benchmark needs; the step counter must not overflow).</summary>
    internal const int MaxSteps = 1_000_000;

    /// <summary>The largest batch the timing commands take: past it a step's tensors take gigabytes (a batch of 10^8 asked libtorch for 313 GB) and the figures time memory, not the step.</summary>
    internal const int MaxBatch = 4096;

    /// <summary>Returns <paramref name="value"/> if it is in [1, <paramref name="max"/>]; else refuses it, naming <paramref name="flag"/>.</summary>
    internal static int Count(int value, string flag, int max = int.MaxValue) =>
        value < 1 ? throw new ArgumentException($"{flag} {value} must be at least 1.")
        : value > max ? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{flag} {value} must be at most {max}."))
        : value;

    /// <summary>
    /// Returns <paramref name="values"/> if each is given once; else refuses the list, naming <paramref name="flag"/> and the
    /// first value repeated (as sweep does): timing it twice would only print the same row again.
    /// </summary>
    /// <param name="name">A value as the option writes it (<c>granet</c>, <c>0.1</c>).</param>
    internal static IReadOnlyList<T> Once<T>(IReadOnlyList<T> values, string flag, Func<T, string> name)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(name);
        return values.Select(name).GroupBy(v => v, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice
            ? throw new ArgumentException($"{flag} gives {twice.Key} more than once; give each value once.")
            : values;
    }

    /// <summary>
    /// Builds <paramref name="info"/> for <paramref name="spec"/>'s images and classes; a model that cannot take them
    /// is refused in one line naming <paramref name="modelFlag"/> and <c>--dataset</c>, ending with <paramref name="advice"/>.
    /// </summary>
    /// <param name="datasetGiven">Whether the command line gave <c>--dataset</c> (else the message says it is the default).</param>
    internal static nn.Module<Tensor, Tensor> CreateFor(Models.ModelInfo info, DatasetSpec spec, string modelFlag, string advice, bool datasetGiven = true)
    {
        try
        {
            return info.Create(spec.Shape, spec.Classes);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{modelFlag} {info.Name} cannot take {(datasetGiven ? string.Empty : "the default ")}--dataset {spec.Name} ({spec.Shape} images): {Runner.OneLine(e.Message)} {advice}", e);
        }
    }

    /// <summary>
    /// Steady-state seconds per call: 0.3 s of warm-up (so that the JIT has tiered up and caches
    /// are warm), then the best mean of three rounds of at least 0.3 s and 10 calls each, or of
    /// fewer calls once a round has run 3 s (a ResNet-50 pass at batch 64 takes over 3 s).
    /// </summary>
    internal static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < 0.3)
        {
            action();
        }
        double best = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            int repetitions = 0;
            clock.Restart();
            while (clock.Elapsed.TotalSeconds < 0.3 || (repetitions < 10 && clock.Elapsed.TotalSeconds < 3))
            {
                action();
                repetitions++;
            }
            best = Math.Min(best, clock.Elapsed.TotalSeconds / repetitions);
        }
        return best;
    }

    private static long LastMemoryGrowth { get; set; }

    /// <summary>Resident memory after a full garbage collection, so that managed garbage does not count as growth.</summary>
    private static long SettledWorkingSet()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Environment.WorkingSet;
    }

    /// <summary>The median of step times (the middle two averaged for an even count).</summary>
    public static double Median(IReadOnlyList<double> times)
    {
        ArgumentNullException.ThrowIfNull(times);
        var sorted = times.Order().ToList();
        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary><c>(median of 10 steps, 61.2–70.4 ms)</c>: what a step figure is, and how far single steps scattered.</summary>
    private static string Spread(IReadOnlyList<double> times) =>
        string.Create(CultureInfo.InvariantCulture, $"(median of {times.Count} steps, {times.Min() * 1000:F1}–{times.Max() * 1000:F1} ms)");

    /// <summary>Times <paramref name="steps"/> training steps after 3 warm-up steps; each step's seconds.</summary>
    private static List<double> TimeSteps(Models.ModelInfo info, DatasetSpec spec, int batch, int steps, SparsityOptions? options, out (double Prune, double Regenerate, double Apply, long Weights) update)
    {
        manual_seed(1);
        using var model = info.Create(spec.Shape, spec.Classes);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.01, 0.9, 0, 5e-4, true);
        using var sparsity = options is null ? null : SparsityController.Create(model, optimizer, options, steps + 3, 2, [spec.Shape.Channels, spec.Shape.Height, spec.Shape.Width]);
        using var x = randn(batch, spec.Shape.Channels, spec.Shape.Height, spec.Shape.Width);
        using var y = randint(0, spec.Classes, [batch]);
        model.train();
        var times = new List<double>(steps);
        long memoryBefore = 0;
        for (int s = 0; s < steps + 3; s++)
        {
            if (s == 3)
            {
                memoryBefore = SettledWorkingSet();
            }
            long start = Stopwatch.GetTimestamp();
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(x), y);
                loss.backward();
                optimizer.step();
                sparsity?.AfterOptimizerStep(s + 1);
            }
            if (s >= 3)
            {
                times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        LastMemoryGrowth = SettledWorkingSet() - memoryBefore;
        update = (0, 0, 0, 0);
        if (sparsity is not null)
        {
            var masks = sparsity.Masks;
            double apply = Time(masks.Apply);
            var watch = Stopwatch.StartNew();
            new GlobalMagnitudePruner().Prune(masks, masks.Density * 0.9);
            masks.Apply();
            double prune = watch.Elapsed.TotalSeconds;
            watch.Restart();
            new Regenerator(new GradientGrowth()).Regenerate(masks, 0.5);
            update = (prune, watch.Elapsed.TotalSeconds, apply, masks.Total);
        }
        return times;
    }
}
