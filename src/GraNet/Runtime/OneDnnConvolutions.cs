using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace GraNet.Runtime;

/// <summary>
/// Whether libtorch runs float32 CPU convolutions on oneDNN (MKL-DNN), and a check that they compute what they should.
/// On some machines oneDNN's vectorised convolution kernels give wrong results whenever a channel count is not a
/// multiple of their block (8 or 16): measured on one AMD EPYC virtual machine with AVX-512, LeNet-5-Caffe's second
/// convolution (20 input channels) was off by 40 % and its input gradient by as much, so training ended in NaN. The
/// check runs such a convolution, forward and backward, against libtorch's float64 one (which oneDNN does not run);
/// <see cref="TorchRuntime.Configure"/> turns oneDNN's convolutions off where it fails, and libtorch then runs its own
/// (the same results as float64's, slower: 1.6x a LeNet-5-Caffe step, 10x a ResNet's, measured there).
/// </summary>
public static unsafe class OneDnnConvolutions
{
    /// <summary>Relative error above which the check fails: float32 rounding here is about 1e-6.</summary>
    public const double Tolerance = 1e-3;

    /// <summary>Whether libtorch's context lets convolutions run on oneDNN (<c>at::Context::userEnabledMkldnn</c>), or null where that cannot be asked.</summary>
    public static bool? Enabled
    {
        get
        {
            var (context, get, _) = Exports();
            return context == 0 || get == 0 ? null : ((delegate* unmanaged<nint, byte>)get)(context) != 0;
        }
    }

    /// <summary>Lets convolutions run on oneDNN or not (<c>at::Context::setUserEnabledMkldnn</c>); false where that cannot be set.</summary>
    public static bool TrySetEnabled(bool enabled)
    {
        var (context, _, set) = Exports();
        return TrySet(context, set, enabled);
    }

    /// <summary>
    /// Lets libtorch try NNPACK for convolutions or not (<c>at::Context::setUserEnabledNNPACK</c>); false where that cannot
    /// be set. Without oneDNN, libtorch asks NNPACK first at every convolution, and where NNPACK does not know the CPU it
    /// writes "Could not initialize NNPACK! Reason: Unsupported hardware" to the standard error each time.
    /// </summary>
    public static bool TrySetNnpackEnabled(bool enabled)
    {
        var (context, _, _) = Exports();
        nint library = context == 0 ? 0 : TorchRuntime.LibTorchCpu();
        return library != 0 && NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledNNPACKEb", out nint set) && TrySet(context, set, enabled);
    }

    private static bool TrySet(nint context, nint setter, bool enabled)
    {
        if (context == 0 || setter == 0)
        {
            return false;
        }
        ((delegate* unmanaged<nint, byte, void>)setter)(context, enabled ? (byte)1 : (byte)0);
        return true;
    }

    /// <summary>The convolution of the start-up check: 20 input and 50 output channels (neither a multiple of 8 or 16), 5x5, on a 12x12 input.</summary>
    public static ConvolutionShape CheckShape { get; } = new(20, 50, (12, 12), (5, 5), (1, 1), (0, 0), (1, 1), 1);

    /// <summary>
    /// The largest relative error, against float64, of the float32 convolution <see cref="CheckShape"/> on 3 images, forward,
    /// input gradient and weight gradient, as libtorch runs it now. Deterministic: it draws its values from a generator of its own.
    /// </summary>
    public static double MeasureError() => MeasureError(CheckShape, batch: 3);

    /// <summary>
    /// The largest relative error, against float64, of a float32 convolution of <paramref name="shape"/> on
    /// <paramref name="batch"/> random images, forward, input gradient and weight gradient, as libtorch runs it now
    /// (libtorch runs float64 convolutions on its own kernels, never on oneDNN). Deterministic: it draws its values from a
    /// generator of its own, and leaves the global one alone.
    /// </summary>
    public static double MeasureError(ConvolutionShape shape, int batch = 2)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        using var scope = NewDisposeScope();
        using var generator = new Generator(20211206);
        var (outHeight, outWidth) = shape.Output;
        var x = randn([batch, shape.InChannels, shape.Input.Height, shape.Input.Width], generator: generator);
        var w = randn([shape.OutChannels, shape.InChannels / shape.Groups, shape.Kernel.Height, shape.Kernel.Width], generator: generator);
        var upstream = randn([batch, shape.OutChannels, outHeight, outWidth], generator: generator);
        var (y, dx, dw) = Run(shape, x, w, upstream);
        var (y64, dx64, dw64) = Run(shape, x.to(ScalarType.Float64), w.to(ScalarType.Float64), upstream.to(ScalarType.Float64));
        return new[] { Relative(y, y64), Relative(dx, dx64), Relative(dw, dw64) }.Max();
    }

    private static (Tensor Output, Tensor InputGradient, Tensor WeightGradient) Run(ConvolutionShape shape, Tensor x, Tensor w, Tensor upstream)
    {
        var input = x.detach().requires_grad_();
        var weight = w.detach().requires_grad_();
        var output = nn.functional.conv2d(input, weight, strides: [shape.Stride.Height, shape.Stride.Width],
            padding: [shape.Padding.Height, shape.Padding.Width], dilation: [shape.Dilation.Height, shape.Dilation.Width], groups: shape.Groups);
        output.backward([upstream]);
        return (output.detach(), input.grad!, weight.grad!);
    }

    /// <summary>max |a − b| / max |b|, NaN counted as infinitely wrong.</summary>
    private static double Relative(Tensor value, Tensor reference)
    {
        using var difference = value.to(ScalarType.Float64) - reference;
        double error = difference.abs().max().item<double>() / Math.Max(double.Epsilon, reference.abs().max().item<double>());
        return double.IsNaN(error) ? double.PositiveInfinity : error;
    }

    /// <summary>The text of a check's result, for a note: "off by 0.4 (relative)".</summary>
    public static string Describe(double error) =>
        double.IsPositiveInfinity(error) ? "NaN" : string.Create(CultureInfo.InvariantCulture, $"off by {error:G2} (relative)");

    private static (nint Context, nint Get, nint Set) Exports()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return (0, 0, 0);
        }
        nint library = TorchRuntime.LibTorchCpu();
        if (library == 0
            || !NativeLibrary.TryGetExport(library, "_ZN2at13globalContextEv", out nint global)
            || !NativeLibrary.TryGetExport(library, "_ZNK2at7Context17userEnabledMkldnnEv", out nint get)
            || !NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledMkldnnEb", out nint set))
        {
            return (0, 0, 0);
        }
        // at::Context& at::globalContext(); the member functions take the context as their first argument (x86-64 System V).
        return ((nint)((delegate* unmanaged<void*>)global)(), get, set);
    }
}
