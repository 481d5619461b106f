namespace GraNet.Inference;

/// <summary>How one convolution or linear layer is computed at inference.</summary>
public enum LayerKernel
{
    /// <summary>libtorch's dense convolution or matrix product (the masked model as trained).</summary>
    Dense,

    /// <summary>Our CSR kernel (<see cref="SparseKernels"/>); stride-1 convolutions as a direct sparse convolution, others through im2col.</summary>
    Csr,

    /// <summary>libtorch's CSR sparse × dense product (a CSR tensor made through TorchScript); convolutions through im2col.</summary>
    LibTorchCsr,

    /// <summary>
    /// libtorch's dense product for a linear layer in batch-major form, as its own linear layer computes it
    /// (<c>X·Wᵀ + b</c> on the transposed activations, turned back): faster than <see cref="Dense"/>'s
    /// <c>W·X</c> at some batch sizes, slower at others; calibration times both and keeps the faster as the dense reference.
    /// </summary>
    DenseBatchMajor,
}

/// <summary>Helpers on <see cref="LayerKernel"/>.</summary>
public static class LayerKernels
{
    /// <summary>Whether the kernel is one of libtorch's dense products (no sparse kernel).</summary>
    public static bool IsDense(this LayerKernel kernel) => kernel is LayerKernel.Dense or LayerKernel.DenseBatchMajor;
}
