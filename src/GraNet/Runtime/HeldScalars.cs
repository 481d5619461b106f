using TorchSharp;

namespace GraNet.Runtime;

/// <summary>
/// Constant <see cref="Scalar"/>s that stay reachable for the whole process. TorchSharp does not
/// keep a Scalar argument alive while libtorch reads it, so a temporary one can be finalized
/// mid-call by a garbage collection on another thread; analyzer GRANET001 (tools/GraNet.Analyzers)
/// refuses temporaries, and these fields are the allowed way to pass a constant.
/// </summary>
public static class HeldScalars
{
    /// <summary>Integer 0 (fills float and integer tensors alike).</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>Integer 1 (the alpha of a plain add).</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>Double -1.</summary>
    public static readonly Scalar MinusOne = (-1.0).ToScalar();

    /// <summary>Boolean true.</summary>
    public static readonly Scalar True = true.ToScalar();

    /// <summary>Boolean false.</summary>
    public static readonly Scalar False = false.ToScalar();
}
