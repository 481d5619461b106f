using System.Text.Json.Serialization;

namespace GraNet.Sparsity;

/// <summary>How the initial density is spread over the layers (spec §1).</summary>
public enum DistributionKind
{
    /// <summary>Every layer gets the same density.</summary>
    [JsonStringEnumMemberName("uniform")]
    Uniform,

    /// <summary>Erdős–Rényi: density ∝ (n_in + n_out) / (n_in · n_out).</summary>
    [JsonStringEnumMemberName("er")]
    ER,

    /// <summary>Erdős–Rényi-Kernel: density ∝ sum(shape) / prod(shape).</summary>
    [JsonStringEnumMemberName("erk")]
    ERK,
}
