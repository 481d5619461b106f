using System.Text.Json.Serialization;

namespace GraNet.Sparsity;

/// <summary>The sparse-training methods (spec §5).</summary>
public enum SparsityMethodKind
{
    /// <summary>Global gradual magnitude pruning with zero-cost neuroregeneration (gradient growth).</summary>
    [JsonStringEnumMemberName("granet")]
    GraNet,

    /// <summary>GraNet with layer-wise pruning.</summary>
    [JsonStringEnumMemberName("granet-uniform")]
    GraNetUniform,

    /// <summary>Gradual magnitude pruning (Zhu &amp; Gupta), global.</summary>
    [JsonStringEnumMemberName("gmp")]
    Gmp,

    /// <summary>Gradual magnitude pruning, layer-wise.</summary>
    [JsonStringEnumMemberName("gmp-uniform")]
    GmpUniform,

    /// <summary>RigL: sparse from the start, drop by magnitude, grow by gradient.</summary>
    [JsonStringEnumMemberName("rigl")]
    RigL,

    /// <summary>SET: sparse from the start, drop by magnitude, grow at random.</summary>
    [JsonStringEnumMemberName("set")]
    Set,

    /// <summary>SNFS: sparse from the start, drop by magnitude, grow by momentum.</summary>
    [JsonStringEnumMemberName("snfs")]
    Snfs,

    /// <summary>A fixed random sparse mask.</summary>
    [JsonStringEnumMemberName("static")]
    Static,

    /// <summary>No masks.</summary>
    [JsonStringEnumMemberName("dense")]
    Dense,
}
