namespace GraNet.Export;

/// <summary>One tensor of a compact model: stored whole (<see cref="Sparse"/> false) or as its non-zero values and their positions.</summary>
/// <param name="NonZero">Number of stored values when sparse.</param>
public sealed record CompactTensor(string Name, long[] Shape, bool Sparse, long NonZero);
