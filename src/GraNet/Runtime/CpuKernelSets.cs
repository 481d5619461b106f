using System.Runtime.Intrinsics.X86;

namespace GraNet.Runtime;

/// <summary>
/// What each <see cref="CpuKernels"/> set needs of the CPU, which one <see cref="CpuKernels.Auto"/> stands for here, and
/// the environment variables that pin libtorch's three kernel libraries to a set (ATen, oneDNN and MKL read them when
/// they first run a kernel, so they are set before the first tensor operation; see <see cref="TorchRuntime.Configure"/>).
/// </summary>
public static class CpuKernelSets
{
    /// <summary>The variable with which ATen's own choice is overridden, and which <see cref="CpuKernels.Auto"/> follows when it is set.</summary>
    public const string AtenVariable = "ATEN_CPU_CAPABILITY";

    /// <summary>Whether this CPU (and the operating system) runs <paramref name="kernels"/>; <see cref="CpuKernels.Auto"/> always.</summary>
    public static bool IsSupported(CpuKernels kernels) => kernels switch
    {
        CpuKernels.Auto => true,
        CpuKernels.Baseline => Sse42.IsSupported,
        // ATen's rule for its avx2 kernels (AVX2 and FMA) and for avx512 (VL, BW, DQ and FMA); oneDNN's AVX512_CORE adds F and CD.
        CpuKernels.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        CpuKernels.Avx512 => Avx512F.IsSupported && Avx512F.VL.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512CD.IsSupported && Fma.IsSupported,
        _ => throw new ArgumentOutOfRangeException(nameof(kernels), kernels, null),
    };

    /// <summary>
    /// The set <paramref name="requested"/> stands for: itself, or for <see cref="CpuKernels.Auto"/> the set that
    /// <paramref name="atenVariable"/> (the value of <c>ATEN_CPU_CAPABILITY</c>, if any) names, else the best that
    /// <paramref name="supported"/> (<see cref="IsSupported"/> on this machine) accepts.
    /// </summary>
    public static CpuKernels Resolve(CpuKernels requested, string? atenVariable, Func<CpuKernels, bool> supported) =>
        requested != CpuKernels.Auto ? requested
        : FromAtenName(atenVariable) is { } named ? named
        : Best(supported);

    /// <summary>
    /// The best set that <paramref name="supported"/> accepts: AVX-512, else AVX2, else the baseline; on a CPU that has none
    /// of them (not x86-64), <see cref="CpuKernels.Auto"/>, which pins nothing.
    /// </summary>
    public static CpuKernels Best(Func<CpuKernels, bool> supported)
    {
        ArgumentNullException.ThrowIfNull(supported);
        return supported(CpuKernels.Avx512) ? CpuKernels.Avx512
            : supported(CpuKernels.Avx2) ? CpuKernels.Avx2
            : supported(CpuKernels.Baseline) ? CpuKernels.Baseline
            : CpuKernels.Auto;
    }

    /// <summary>The set ATen calls <paramref name="name"/> (<c>default</c>, <c>avx2</c>, <c>avx512</c>, any case), or null.</summary>
    public static CpuKernels? FromAtenName(string? name) => name?.Trim().ToUpperInvariant() switch
    {
        "DEFAULT" => CpuKernels.Baseline,
        "AVX2" => CpuKernels.Avx2,
        "AVX512" => CpuKernels.Avx512,
        _ => null,
    };

    /// <summary>
    /// The environment that pins libtorch to <paramref name="kernels"/>: ATen's capability, oneDNN's highest instruction set,
    /// and MKL's instructions with its conditional numerical reproducibility (<c>MKL_CBWR</c>) at the same level, so that
    /// MKL takes the same code path on Intel and AMD CPUs. Nothing for <see cref="CpuKernels.Auto"/> (libtorch's own choice:
    /// resolve it first where the CPU has a set, <see cref="Resolve"/>).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Environment(CpuKernels kernels)
    {
        var (aten, onednn, mkl) = kernels switch
        {
            CpuKernels.Auto => (null, null, null),
            CpuKernels.Baseline => ("default", "SSE41", "SSE4_2"),
            CpuKernels.Avx2 => ("avx2", "AVX2", "AVX2"),
            CpuKernels.Avx512 => ("avx512", "AVX512_CORE", "AVX512"),
            _ => throw new ArgumentOutOfRangeException(nameof(kernels), kernels, null),
        };
        if (aten is null || onednn is null || mkl is null)
        {
            return [];
        }
        return
        [
            new(AtenVariable, aten),
            new("ONEDNN_MAX_CPU_ISA", onednn),
            new("MKL_ENABLE_INSTRUCTIONS", mkl),
            new("MKL_CBWR", mkl),
        ];
    }
}
