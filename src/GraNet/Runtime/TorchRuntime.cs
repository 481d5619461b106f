using System.Runtime.InteropServices;
using TorchSharp;

namespace GraNet.Runtime;

/// <summary>
/// Process-wide native settings that must be made before libtorch is first touched.
/// OpenMP reads <c>OMP_NUM_THREADS</c> and <c>OMP_WAIT_POLICY</c> when its library loads; .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string?)"/> does not reach the C
/// environment that OpenMP reads, so they are set with libc's <c>setenv</c>.
/// </summary>
public static partial class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static int? configuredThreads;

    /// <summary>
    /// The default intra-op thread count: the number of cores, at most 4. More threads than that
    /// rarely pay for the small models of the protocols here, and with the passive wait policy an
    /// idle or busy extra core costs little.
    /// </summary>
    public static int DefaultThreads => Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>The thread count in force, or null before <see cref="Configure"/>.</summary>
    public static int? Threads => configuredThreads;

    /// <summary>
    /// Sets the thread count and a passive OpenMP wait policy (threads sleep instead of
    /// spin-waiting, so a busy core does not slow every step tenfold). A user's own
    /// <c>OMP_WAIT_POLICY</c> is kept. Call before any other torch call; later calls only
    /// change the intra-op thread count.
    /// </summary>
    public static void Configure(int threads)
    {
        if (threads < 1)
        {
            throw new OptionValueException($"{nameof(TorchRuntime)}.{nameof(Configure)}", nameof(threads), threads, "must be at least 1");
        }
        lock (Gate)
        {
            if (configuredThreads is null && !OperatingSystem.IsWindows())
            {
                string threadText = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
                SetNativeEnvironment("OMP_NUM_THREADS", threadText, overwrite: true);
                SetNativeEnvironment("MKL_NUM_THREADS", threadText, overwrite: true);
                SetNativeEnvironment("OMP_WAIT_POLICY", "PASSIVE", overwrite: false);
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
        }
    }

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

    private static void SetNativeEnvironment(string name, string value, bool overwrite)
    {
        Environment.SetEnvironmentVariable(name, overwrite ? value : Environment.GetEnvironmentVariable(name) ?? value);
        _ = NativeSetEnv(name, value, overwrite ? 1 : 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeSetEnv(string name, string value, int overwrite);
}
