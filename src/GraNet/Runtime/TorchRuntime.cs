using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace GraNet.Runtime;

/// <summary>
/// Process-wide native settings that must be made before libtorch is first touched.
/// OpenMP reads <c>OMP_NUM_THREADS</c> and <c>OMP_WAIT_POLICY</c> when its library loads; .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string?)"/> does not reach the C
/// environment that OpenMP reads, so they are set with libc's <c>setenv</c>. The CPU kernel set (<see cref="CpuKernels"/>)
/// is pinned the same way, before ATen, oneDNN and MKL first read their variables.
/// </summary>
public static partial class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static int? configuredThreads;
    private static CpuKernels? configuredKernels;
    private static bool convolutionsChecked;
    private static string? startupCheck; // what the start-up check measured, where it found oneDNN wrong and turned it off
    private static int passingScopes;
    private static int failingScopes;
    private static readonly Dictionary<ConvolutionShape, double> OneDnnErrors = [];
    private static readonly Dictionary<ConvolutionShape, string> OneDnnFailures = []; // shapes at which a check ended, and how

    /// <summary>
    /// The default intra-op thread count: the number of cores, at most 4. More threads than that
    /// rarely pay for the small models of the protocols here, and with the passive wait policy an
    /// idle or busy extra core costs little.
    /// </summary>
    public static int DefaultThreads => Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>The thread count in force, or null before <see cref="Configure"/>.</summary>
    public static int? Threads => configuredThreads;

    /// <summary>The CPU kernel set in force (on x86-64 never <see cref="CpuKernels.Auto"/>, which elsewhere means libtorch's own choice), or null before <see cref="Configure"/>.</summary>
    public static CpuKernels? Kernels => configuredKernels;

    /// <summary>
    /// Set by <see cref="Configure"/> where libtorch's oneDNN convolutions failed <see cref="OneDnnConvolutions"/>' check
    /// and were turned off: what was measured and done, for a note to the user; null where they passed (or before <see cref="Configure"/>).
    /// </summary>
    public static string? ConvolutionNote { get; private set; }

    /// <summary>
    /// Sets the thread count and a passive OpenMP wait policy (threads sleep instead of
    /// spin-waiting, so a busy core does not slow every step tenfold), and pins libtorch's CPU kernels to
    /// <paramref name="cpuKernels"/> (<see cref="CpuKernels.Auto"/>: the set <see cref="CpuKernelSets.Resolve"/> gives here).
    /// A user's own <c>OMP_WAIT_POLICY</c> is kept. Call before any other torch call; later calls only
    /// change the intra-op thread count, and must ask for the same kernel set or <see cref="CpuKernels.Auto"/>.
    /// The first call also checks libtorch's oneDNN convolutions (<see cref="OneDnnConvolutions.MeasureError()"/>, a few
    /// milliseconds) and turns them off where they compute wrong results (<see cref="ConvolutionNote"/>).
    /// </summary>
    /// <exception cref="OptionValueException">Fewer than one thread, or a kernel set this CPU does not have.</exception>
    /// <exception cref="InvalidOperationException">Another kernel set than the one already in force (libtorch chooses its kernels once per process).</exception>
    public static void Configure(int threads, CpuKernels cpuKernels = CpuKernels.Auto)
    {
        if (threads < 1)
        {
            throw new OptionValueException($"{nameof(TorchRuntime)}.{nameof(Configure)}", nameof(threads), threads, "must be at least 1");
        }
        if (!CpuKernelSets.IsSupported(cpuKernels))
        {
            throw new OptionValueException($"{nameof(TorchRuntime)}.{nameof(Configure)}", nameof(cpuKernels), EnumNames.Of(cpuKernels),
                $"is not supported by this CPU (it has {EnumNames.Of(CpuKernelSets.Best(CpuKernelSets.IsSupported))} at best)");
        }
        lock (Gate)
        {
            if (configuredKernels is { } inForce && cpuKernels != CpuKernels.Auto && cpuKernels != inForce)
            {
                throw new InvalidOperationException($"libtorch already runs {EnumNames.Of(inForce)} kernels in this process and cannot change them; run {EnumNames.Of(cpuKernels)} in a process of its own.");
            }
            // Set before libtorch can be asked whether they came in time; a refused call puts the earlier values back.
            var environment = new NativeEnvironment();
            if (configuredThreads is null && !OperatingSystem.IsWindows())
            {
                string threadText = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
                environment.Set("OMP_NUM_THREADS", threadText);
                environment.Set("MKL_NUM_THREADS", threadText);
                environment.Set("OMP_WAIT_POLICY", "PASSIVE", overwrite: false);
            }
            if (configuredKernels is null)
            {
                var resolved = CpuKernelSets.Resolve(cpuKernels, Environment.GetEnvironmentVariable(CpuKernelSets.AtenVariable), CpuKernelSets.IsSupported);
                foreach (var (name, value) in CpuKernelSets.Environment(resolved))
                {
                    environment.Set(name, value);
                }
                // ATen reads its variable once, at its first kernel: if that ran before this call, the set cannot be pinned.
                if (AtenKernels() is { } running && running != resolved)
                {
                    environment.Undo();
                    throw new InvalidOperationException($"libtorch chose {EnumNames.Of(running)} kernels before {nameof(TorchRuntime)}.{nameof(Configure)} pinned {EnumNames.Of(resolved)} (a tensor operation ran first); call {nameof(Configure)} before any tensor work{(cpuKernels == CpuKernels.Auto ? string.Empty : $", or ask for {EnumNames.Of(CpuKernels.Auto)}")}.");
                }
                configuredKernels = resolved;
            }
            torch.set_num_threads(threads);
            if (configuredThreads is null)
            {
                try
                {
                    torch.set_num_interop_threads(1);
                }
                catch (ExternalException)
                {
                    // libtorch refuses once inter-op work has started; the default is then kept.
                }
            }
            configuredThreads = threads;
            CheckConvolutions();
        }
    }

    /// <summary>
    /// Checks libtorch's oneDNN convolutions once per process (<see cref="OneDnnConvolutions.MeasureError()"/>, a few
    /// milliseconds) and turns them off where they compute wrong results, saying so in <see cref="ConvolutionNote"/>; NNPACK is
    /// turned off with the first call. <see cref="Configure"/> calls it, and so does <see cref="Training.Trainer"/>'s
    /// constructor, for callers that leave libtorch's settings as they are.
    /// </summary>
    public static void CheckConvolutions()
    {
        lock (Gate)
        {
            if (convolutionsChecked)
            {
                return;
            }
            // libtorch asks NNPACK at convolutions that oneDNN does not run (float64 ones, or all where oneDNN is off), and
            // where NNPACK cannot start (this AMD CPU: "Unsupported hardware") it says so on the standard error each time.
            OneDnnConvolutions.TrySetNnpackEnabled(false);
            double error = OneDnnConvolutions.MeasureError();
            convolutionsChecked = true;
            if (error > OneDnnConvolutions.Tolerance && OneDnnConvolutions.Enabled == true && OneDnnConvolutions.TrySetEnabled(false))
            {
                startupCheck = $"a check with 20 and 50 channels was {OneDnnConvolutions.Describe(error)}";
                ConvolutionNote = $"libtorch's oneDNN convolutions compute wrong results on this machine ({startupCheck}; " +
                    $"now {OneDnnConvolutions.Describe(OneDnnConvolutions.MeasureError())}): convolutions run on libtorch's own kernels instead, correct but slower.";
            }
        }
    }

    /// <summary>
    /// Lets oneDNN run <paramref name="model"/>'s convolutions while the returned scope lives, where the start-up check
    /// (<see cref="CheckConvolutions"/>) found oneDNN wrong and turned it off, if every 2-D convolution the model runs on a
    /// sample of <paramref name="sampleShape"/> (channels, height, width) agrees with float64 on oneDNN. On the machine where
    /// oneDNN was found wrong it was wrong only for channel counts off its vector block (8 with AVX2, 16 with AVX-512), which
    /// the CIFAR ResNets and VGGs never have, and libtorch's own convolutions ran a ResNet-20 step about 7x slower than oneDNN.
    /// There oneDNN also ended the process (a floating-point exception) at one of ResNet-50's convolutions, so the shapes are
    /// measured by <paramref name="measureOnOneDnn"/>, which should run <see cref="MeasureOnOneDnn"/> in a process of its own
    /// (the tool's <c>granet check-convolutions</c>) and throw <see cref="ConvolutionCheckException"/> where that process
    /// ended early or hung (with the errors measured before), or <see cref="InvalidOperationException"/> where it could not
    /// start, saying why; its results, and the shape a check ended at, are kept for the rest of this process (whatever the
    /// function returns is taken as measured). Where the start-up check passed, nothing is measured
    /// and nothing changes. oneDNN runs while a scope of a model that passed lives and none of one that failed (or has 1-D, 3-D
    /// or transposed convolutions, or 2-D ones the sample did not run through, which are not checked) does. The setting is the process's: convolutions that run outside any
    /// scope while another model's scope lets oneDNN run, run on it too.
    /// </summary>
    /// <exception cref="ArgumentException">The model cannot run a sample of <paramref name="sampleShape"/>.</exception>
    public static ConvolutionScope ConvolutionsFor(nn.Module<Tensor, Tensor> model, long[] sampleShape, Func<IReadOnlyList<ConvolutionShape>, IReadOnlyList<double>> measureOnOneDnn)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleShape);
        ArgumentNullException.ThrowIfNull(measureOnOneDnn);
        CheckConvolutions();
        if (startupCheck is null)
        {
            return new ConvolutionScope(null, null);
        }
        IReadOnlyList<(string Layer, ConvolutionShape Shape)> convolutions;
        IReadOnlyList<string> uncovered;
        lock (Gate)
        {
            // The probe runs the model on libtorch's own convolutions: its shapes have not been checked on oneDNN yet.
            OneDnnConvolutions.TrySetEnabled(false);
            try
            {
                convolutions = ConvolutionShape.Of(model, sampleShape, out uncovered);
            }
            finally
            {
                ApplyConvolutionScopes();
            }
        }
        if (convolutions.Count == 0 && uncovered.Count == 0)
        {
            return new ConvolutionScope(null, null);
        }
        string? failure = null;
        if (uncovered.Count == 0)
        {
            List<ConvolutionShape> unknown;
            lock (Gate)
            {
                unknown = convolutions.Select(c => c.Shape).Distinct().Where(shape => !OneDnnErrors.ContainsKey(shape)).ToList();
            }
            if (unknown.Count > 0)
            {
                try
                {
                    var errors = measureOnOneDnn(unknown);
                    if (errors.Count != unknown.Count)
                    {
                        throw new InvalidOperationException($"the check gave {errors.Count} results for {unknown.Count} shapes");
                    }
                    Keep(unknown, errors, null);
                }
                catch (ConvolutionCheckException e)
                {
                    // Kept, with the shape it ended at: a later model with that shape does not start another check that ends so.
                    Keep(unknown, e.Measured, e.Message.TrimEnd('.'));
                }
                catch (InvalidOperationException e)
                {
                    failure = e.Message.TrimEnd('.'); // not kept: the next model tries again
                }
            }
        }
        lock (Gate)
        {
            var wrong = failure is not null || uncovered.Count > 0 ? default
                : convolutions.FirstOrDefault(c => !OneDnnErrors.TryGetValue(c.Shape, out double error) || error > OneDnnConvolutions.Tolerance);
            bool passed = failure is null && uncovered.Count == 0 && wrong.Shape is null;
            if (passed)
            {
                passingScopes++;
            }
            else
            {
                failingScopes++;
            }
            ApplyConvolutionScopes();
            int shapes = convolutions.Select(c => c.Shape).Distinct().Count();
            string note = passed
                ? $"libtorch's oneDNN convolutions compute wrong results on this machine for some channel counts ({startupCheck}); this model's {Count(convolutions.Count, "convolution")} ({Count(shapes, "shape")}) agree with float64 on it, so they run on oneDNN."
                : $"libtorch's oneDNN convolutions compute wrong results on this machine ({startupCheck}; " +
                    (failure is not null ? $"checking this model's {Count(shapes, "convolution shape")} on it failed: {failure})"
                    : wrong.Shape is { } wrongShape ? $"this model's {wrong.Layer}, {wrongShape}, {WhatHappened(wrongShape)} on it)"
                    : $"this model's {uncovered[0]} is a 1-D, 3-D or transposed convolution, or one the sample did not run through, which is not checked)") +
                    ": its convolutions run on libtorch's own kernels instead, correct but slower.";
            return new ConvolutionScope(passed, note);
        }
    }

    /// <summary>Keeps the errors measured of <paramref name="shapes"/>' first ones and, where the check ended early, how, at the next.</summary>
    private static void Keep(List<ConvolutionShape> shapes, IReadOnlyList<double> errors, string? endedAtNext)
    {
        lock (Gate)
        {
            int measured = Math.Min(errors.Count, shapes.Count);
            for (int i = 0; i < measured; i++)
            {
                OneDnnErrors[shapes[i]] = errors[i];
            }
            if (endedAtNext is not null && measured < shapes.Count)
            {
                OneDnnErrors[shapes[measured]] = double.PositiveInfinity;
                OneDnnFailures[shapes[measured]] = endedAtNext;
            }
        }
    }

    private static string WhatHappened(ConvolutionShape shape) =>
        OneDnnFailures.TryGetValue(shape, out string? failure) ? failure
        : OneDnnErrors.TryGetValue(shape, out double error) ? $"was {OneDnnConvolutions.Describe(error)}"
        : "was not measured (the check ended before it)";

    /// <summary>
    /// The error of each of <paramref name="shapes"/> on oneDNN in this process (<see cref="OneDnnConvolutions.MeasureError(ConvolutionShape, int)"/>,
    /// with oneDNN on while they run; the setting is then restored). Where oneDNN is faulty this can end the process (a
    /// floating-point exception was seen), so <see cref="ConvolutionsFor"/>'s callers run it in a process of their own.
    /// </summary>
    public static IReadOnlyList<double> MeasureOnOneDnn(IReadOnlyList<ConvolutionShape> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        lock (Gate)
        {
            bool? before = OneDnnConvolutions.Enabled;
            try
            {
                OneDnnConvolutions.TrySetEnabled(true);
                return shapes.Select(shape => OneDnnConvolutions.MeasureError(shape)).ToList();
            }
            finally
            {
                if (before is { } enabled)
                {
                    OneDnnConvolutions.TrySetEnabled(enabled);
                }
            }
        }
    }

    /// <summary>Ends a scope of <see cref="ConvolutionsFor"/> (<see cref="ConvolutionScope.Dispose"/>).</summary>
    internal static void EndConvolutionScope(bool? passed)
    {
        if (passed is not { } counted)
        {
            return;
        }
        lock (Gate)
        {
            if (counted)
            {
                passingScopes--;
            }
            else
            {
                failingScopes--;
            }
            ApplyConvolutionScopes();
        }
    }

    private static void ApplyConvolutionScopes() => OneDnnConvolutions.TrySetEnabled(passingScopes > 0 && failingScopes == 0);

    private static string Count(int n, string noun) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? string.Empty : "s")}");

    /// <summary>
    /// A full garbage collection, including tensors that only finalizers release, with the large-object heap
    /// compacted once: between long jobs in one process (sweep cells, a study's base run and its cells), so that
    /// the resident memory does not carry the last job's data set and tensors into the next.
    /// </summary>
    public static void CollectGarbage()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>
    /// The kernel set ATen itself reports that it dispatches to (its <c>at::get_cpu_capability()</c>: <c>DEFAULT</c>,
    /// <c>AVX2</c> or <c>AVX512</c>), or null where that cannot be asked (another platform, or a libtorch without the
    /// function). Asking fixes ATen's choice, so call it after <see cref="Configure"/>.
    /// </summary>
    public static CpuKernels? AtenKernels() => CpuKernelSets.FromAtenName(AtenCapabilityName());

    private static unsafe string? AtenCapabilityName()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }
        nint library = LibTorchCpu();
        if (library == 0 || !NativeLibrary.TryGetExport(library, "_ZN2at18get_cpu_capabilityB5cxx11Ev", out nint function))
        {
            return null;
        }
        // std::string at::get_cpu_capability(): returned through a slot the caller passes (x86-64 System V); libstdc++'s
        // string is {char* data; size_t length; char local[16]}, and a name of at most 15 characters stays in 'local'.
        byte* slot = stackalloc byte[32];
        ((delegate* unmanaged<byte*, byte*>)function)(slot);
        byte* data = *(byte**)slot;
        ulong length = *(ulong*)(slot + 8);
        return data == slot + 16 && length <= 15 ? System.Text.Encoding.ASCII.GetString(data, (int)length) : null;
    }

    /// <summary>libtorch_cpu as loaded by TorchSharp, for its C++ exports; 0 where it is not found.</summary>
    internal static nint LibTorchCpu()
    {
        if (libTorchCpu is { } known)
        {
            return known;
        }
        // Its path is the loaded module's; loading it again by path returns the same copy.
        _ = torch.get_num_threads();
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        string? path = process.Modules.Cast<System.Diagnostics.ProcessModule>()
            .Select(m => m.FileName).FirstOrDefault(f => Path.GetFileName(f) == "libtorch_cpu.so");
        nint library = path is not null && NativeLibrary.TryLoad(path, out nint loaded) ? loaded : 0;
        libTorchCpu = library;
        return library;
    }

    private static nint? libTorchCpu;
}
