using System.Text.Json.Serialization;

namespace GraNet.Runtime;

/// <summary>
/// What libtorch computes with in this process beyond the run's own settings: its intra-op threads, the CPU kernel set and
/// whether its convolutions run on oneDNN. Other threads or kernels add up in another order and round differently, so a run
/// continued with others than its earlier epochs ran with no longer repeats an uninterrupted one.
/// </summary>
/// <param name="Threads">libtorch's intra-op threads.</param>
/// <param name="CpuKernels">The set ATen runs (<see cref="TorchRuntime.AtenKernels"/>, else the one configured); null where unknown.</param>
public sealed record RuntimeSettings(int Threads, [property: JsonConverter(typeof(JsonStringEnumConverter<CpuKernels>))] CpuKernels? CpuKernels)
{
    /// <summary>
    /// Whether convolutions ran on oneDNN (<see cref="Runtime.OneDnnConvolutions.Enabled"/>); false where the start-up check
    /// (<see cref="TorchRuntime.CheckConvolutions"/>) found them wrong and turned them off, and no check of the model
    /// (<see cref="TorchRuntime.ConvolutionsFor"/>) turned them on again, so libtorch's own kernels ran them;
    /// null where unknown (checkpoints of earlier versions, or a libtorch that cannot be asked) or of no matter (a model
    /// without convolution modules, as the <see cref="Training.Trainer"/> records it).
    /// </summary>
    public bool? OneDnnConvolutions { get; init; }

    /// <summary>This process's settings, as libtorch reports them.</summary>
    public static RuntimeSettings Current() => new(TorchSharp.torch.get_num_threads(), TorchRuntime.AtenKernels() ?? TorchRuntime.Kernels)
    {
        OneDnnConvolutions = Runtime.OneDnnConvolutions.Enabled,
    };

    /// <summary>Whether the two round differently: other threads, or other kernels or convolutions where both are known.</summary>
    public bool DiffersFrom(RuntimeSettings other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Threads != other.Threads
            || (CpuKernels is not null && other.CpuKernels is not null && CpuKernels != other.CpuKernels)
            || (OneDnnConvolutions is not null && other.OneDnnConvolutions is not null && OneDnnConvolutions != other.OneDnnConvolutions);
    }

    /// <summary>"2 threads and avx512 CPU kernels"; where oneDNN's convolutions were off, "2 threads, avx512 CPU kernels and libtorch's own convolutions".</summary>
    public override string ToString()
    {
        string threads = $"{Threads} thread{(Threads == 1 ? string.Empty : "s")}";
        string kernels = $"{(CpuKernels is { } k ? EnumNames.Of(k) : "unknown")} CPU kernels";
        return OneDnnConvolutions == false ? $"{threads}, {kernels} and libtorch's own convolutions" : $"{threads} and {kernels}";
    }
}
