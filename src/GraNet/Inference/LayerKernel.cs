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
}
