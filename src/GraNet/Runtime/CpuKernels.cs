using System.Text.Json.Serialization;

namespace GraNet.Runtime;

/// <summary>
/// The vector instruction set that libtorch's CPU kernels run with. libtorch picks kernels by the CPU: its own (ATen) by
/// its capability, oneDNN's convolutions and MKL's matrix products by their own rules, so the same seed gives other
/// numbers on a CPU with AVX-512 than on one without (the rounding differs, and training amplifies the difference).
/// A set other than <see cref="Auto"/> pins all three to one instruction set, so that runs repeat across CPUs that have it.
/// </summary>
public enum CpuKernels
{
    /// <summary>
    /// The best set this CPU offers (AVX-512, else AVX2, else the baseline), or the one <c>ATEN_CPU_CAPABILITY</c> names;
    /// on a CPU that is not x86-64, libtorch's own choice, not pinned.
    /// </summary>
    [JsonStringEnumMemberName("auto")]
    Auto,

    /// <summary>No vector extensions beyond SSE4.2 (ATen's <c>default</c> kernels): any x86-64 CPU of the last fifteen years; slowest.</summary>
    [JsonStringEnumMemberName("baseline")]
    Baseline,

    /// <summary>AVX2 and FMA: x86-64 CPUs since about 2013 (Intel Haswell, AMD Zen).</summary>
    [JsonStringEnumMemberName("avx2")]
    Avx2,

    /// <summary>AVX-512 (F, CD, BW, DQ, VL), as libtorch's <c>avx512</c> kernels and oneDNN's <c>AVX512_CORE</c> need it.</summary>
    [JsonStringEnumMemberName("avx512")]
    Avx512,
}
