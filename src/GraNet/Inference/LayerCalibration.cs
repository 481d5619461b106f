namespace GraNet.Inference;

/// <summary>What the calibration measured for one layer at one batch size, and the kernel it chose.</summary>
/// <param name="DenseMilliseconds">libtorch dense, per forward pass of the layer.</param>
/// <param name="CsrMilliseconds">Our CSR kernel.</param>
/// <param name="LibTorchCsrMilliseconds">libtorch's CSR product.</param>
public sealed record LayerCalibration(
    string Layer,
    string Shape,
    double Density,
    int Batch,
    double DenseMilliseconds,
    double CsrMilliseconds,
    double LibTorchCsrMilliseconds,
    LayerKernel Choice)
{
    public double ChosenMilliseconds => Choice switch
    {
        LayerKernel.Csr => CsrMilliseconds,
        LayerKernel.LibTorchCsr => LibTorchCsrMilliseconds,
        _ => DenseMilliseconds,
    };
}

/// <summary>
/// The whole network at one batch size: the plain dense forward pass against the per-layer plan run through the engine
/// (<see cref="SparseNetwork"/>'s pooling and layout with each layer's chosen kernel, sparse or dense), and which one is used.
/// </summary>
public sealed record ModelCalibration(int Batch, double DenseMilliseconds, double SparseMilliseconds, bool UsesPlan);
