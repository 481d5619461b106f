using System.Text.Json.Serialization;

namespace GraNet.Runtime;

/// <summary>
/// What libtorch computes with in this process beyond the run's own settings: its intra-op threads and the CPU kernel set.
/// Other threads or kernels add up in another order and round differently, so a run continued with others than its earlier
/// epochs ran with no longer repeats an uninterrupted one.
/// </summary>
/// <param name="Threads">libtorch's intra-op threads.</param>
/// <param name="CpuKernels">The set ATen runs (<see cref="TorchRuntime.AtenKernels"/>, else the one configured); null where unknown.</param>
public sealed record RuntimeSettings(int Threads, [property: JsonConverter(typeof(JsonStringEnumConverter<CpuKernels>))] CpuKernels? CpuKernels)
{
    /// <summary>This process's settings, as libtorch reports them.</summary>
    public static RuntimeSettings Current() => new(TorchSharp.torch.get_num_threads(), TorchRuntime.AtenKernels() ?? TorchRuntime.Kernels);

    /// <summary>Whether the two round differently: other threads, or other kernels where both sets are known.</summary>
    public bool DiffersFrom(RuntimeSettings other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Threads != other.Threads || (CpuKernels is not null && other.CpuKernels is not null && CpuKernels != other.CpuKernels);
    }

    /// <summary>"2 threads and avx512 CPU kernels".</summary>
    public override string ToString() =>
        $"{Threads} thread{(Threads == 1 ? string.Empty : "s")} and {(CpuKernels is { } k ? EnumNames.Of(k) : "unknown")} CPU kernels";
}
