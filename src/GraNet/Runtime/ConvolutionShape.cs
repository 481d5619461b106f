using System.Globalization;
using GraNet.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Runtime;

/// <summary>
/// One 2-D convolution as libtorch runs it: channels, the size of the input it is given, kernel, stride, zero padding,
/// dilation and groups. Two layers of one shape run the same kernels, so a model's convolutions are checked once per shape.
/// </summary>
public sealed record ConvolutionShape(
    long InChannels,
    long OutChannels,
    (long Height, long Width) Input,
    (long Height, long Width) Kernel,
    (long Height, long Width) Stride,
    (long Height, long Width) Padding,
    (long Height, long Width) Dilation,
    long Groups)
{
    /// <summary>The output's height and width.</summary>
    public (long Height, long Width) Output =>
        (OutputSize(Input.Height, Kernel.Height, Stride.Height, Padding.Height, Dilation.Height),
         OutputSize(Input.Width, Kernel.Width, Stride.Width, Padding.Width, Dilation.Width));

    /// <summary>"20→50 channels, 12x12 input, kernel 5x5", with stride, padding, dilation and groups where they are not the default.</summary>
    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{InChannels}→{OutChannels} channels, {Input.Height}x{Input.Width} input, kernel {Kernel.Height}x{Kernel.Width}");
        text += Stride != (1, 1) ? string.Create(CultureInfo.InvariantCulture, $", stride {Stride.Height}x{Stride.Width}") : string.Empty;
        text += Padding != (0, 0) ? string.Create(CultureInfo.InvariantCulture, $", padding {Padding.Height}x{Padding.Width}") : string.Empty;
        text += Dilation != (1, 1) ? string.Create(CultureInfo.InvariantCulture, $", dilation {Dilation.Height}x{Dilation.Width}") : string.Empty;
        return Groups != 1 ? text + string.Create(CultureInfo.InvariantCulture, $", {Groups} groups") : text;
    }

    /// <summary>The shape as 13 comma-separated numbers (channels in and out, input, kernel, stride, padding, dilation, groups), for <see cref="Parse"/>.</summary>
    public string Argument => string.Join(',', new[] { InChannels, OutChannels, Input.Height, Input.Width, Kernel.Height, Kernel.Width,
        Stride.Height, Stride.Width, Padding.Height, Padding.Width, Dilation.Height, Dilation.Width, Groups }.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Whether <paramref name="module"/> is one of libtorch's convolution modules (1-D, 2-D, 3-D, plain or transposed), which oneDNN may run.</summary>
    public static bool IsConvolution(nn.Module module) => module is Conv1d or Conv2d or Conv3d or ConvTranspose1d or ConvTranspose2d or ConvTranspose3d;

    /// <summary>The shape written as <see cref="Argument"/>.</summary>
    /// <exception cref="FormatException">Not 13 whole numbers, or not a shape a convolution can have.</exception>
    public static ConvolutionShape Parse(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        var parts = argument.Split(',');
        var v = parts.Select(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : -1).ToArray();
        if (v.Length != 13 || v.Any(n => n < 0) || v[0] < 1 || v[1] < 1 || v[12] < 1 || v[0] % v[12] != 0 || v[1] % v[12] != 0
            || v[4] < 1 || v[5] < 1 || v[6] < 1 || v[7] < 1 || v[10] < 1 || v[11] < 1)
        {
            throw new FormatException($"'{argument}' is not a convolution's shape: give 13 comma-separated whole numbers (channels in and out, input height and width, kernel, stride, padding and dilation, each height and width, and groups).");
        }
        var shape = new ConvolutionShape(v[0], v[1], (v[2], v[3]), (v[4], v[5]), (v[6], v[7]), (v[8], v[9]), (v[10], v[11]), v[12]);
        return shape.Output is ( >= 1, >= 1) ? shape
            : throw new FormatException($"'{argument}': the kernel does not fit in the padded input.");
    }

    private static long OutputSize(long input, long kernel, long stride, long padding, long dilation) =>
        (input + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;

    /// <summary>
    /// The float32 2-D convolutions <paramref name="model"/> runs on one sample of <paramref name="sampleShape"/> (channels,
    /// height, width), each with its layer's name, in the order they run (a layer run twice on inputs of two sizes is listed
    /// twice). Found by one forward pass without gradients, in evaluation mode (no batch statistics are updated); each
    /// module's own mode is restored afterwards. <paramref name="others"/> names the layers whose convolutions are not
    /// covered (1-D, 3-D and transposed ones, and 2-D ones the sample did not run through): they cannot be checked.
    /// </summary>
    /// <exception cref="ArgumentException">The model cannot run a sample of that shape.</exception>
    public static IReadOnlyList<(string Layer, ConvolutionShape Shape)> Of(nn.Module<Tensor, Tensor> model, long[] sampleShape, out IReadOnlyList<string> others)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleShape);
        var found = new List<(string, ConvolutionShape)>();
        var uncovered = new List<string>();
        var removers = new List<Action>();
        var modes = ModuleOrder.DepthFirst(model).Select(m => (m.Module, m.Module.training)).ToList();
        try
        {
            foreach (var (name, module) in ModuleOrder.DepthFirst(model))
            {
                if (module is Conv2d { transposed: false } convolution)
                {
                    var hook = convolution.register_forward_hook((_, input, output) =>
                    {
                        if (convolution.weight is { dtype: ScalarType.Float32 } && input.dtype == ScalarType.Float32)
                        {
                            found.Add((name, FromLayer(convolution, input.shape[^2], input.shape[^1])));
                        }
                        return output;
                    });
                    removers.Add(hook.remove);
                }
                else if (IsConvolution(module))
                {
                    uncovered.Add(name);
                }
            }
            model.eval();
            using var guard = no_grad();
            using var scope = NewDisposeScope();
            model.call(zeros([1, .. sampleShape]));
            // A convolution the sample did not run through (called some other way, or not at all) is not known either.
            var ran = found.Select(f => f.Item1).ToHashSet();
            uncovered.AddRange(ModuleOrder.DepthFirst(model).Where(m => m.Module is Conv2d { transposed: false } && !ran.Contains(m.Name)).Select(m => m.Name));
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"the model cannot run a sample of shape {string.Join('x', sampleShape)} ({ErrorText.FirstLine(e.Message)}).", nameof(sampleShape), e);
        }
        finally
        {
            foreach (var remove in removers)
            {
                remove();
            }
            foreach (var (module, training) in modes)
            {
                module.train(training); // parents before children, so each module ends in its own mode
            }
        }
        others = uncovered;
        return found;
    }

    /// <summary>The shape libtorch's convolution gets from <paramref name="layer"/> for an input of <paramref name="height"/> x <paramref name="width"/>.</summary>
    private static ConvolutionShape FromLayer(Conv2d layer, long height, long width)
    {
        var weight = layer.weight!;
        (long, long) kernel = (weight.shape[2], weight.shape[3]);
        (long, long) stride = Pair(layer.stride, 1);
        (long, long) dilation = Pair(layer.dilation, 1);
        (long H, long W) padding;
        if (layer.padding is { } explicitPadding)
        {
            padding = Pair(explicitPadding, 0);
        }
        else
        {
            // 'valid': none; 'same': dilation x (kernel − 1) in all, the odd one more after (libtorch pads the input by it).
            bool same = layer.padding_type == TorchSharp.Padding.Same;
            long totalH = same ? dilation.Item1 * (kernel.Item1 - 1) : 0;
            long totalW = same ? dilation.Item2 * (kernel.Item2 - 1) : 0;
            height += totalH % 2;
            width += totalW % 2;
            padding = (totalH / 2, totalW / 2);
        }
        if (layer.padding_mode != PaddingModes.Zeros)
        {
            // Reflect, replicate or circular: the layer pads the input itself and convolves it without padding.
            (height, width, padding) = (height + 2 * padding.H, width + 2 * padding.W, (0, 0));
        }
        return new ConvolutionShape(weight.shape[1] * layer.groups, weight.shape[0], (height, width), kernel, stride, padding, dilation, layer.groups);
    }

    private static (long, long) Pair(long[]? values, long fallback) => values switch
    {
        null or [] => (fallback, fallback),
        [var one] => (one, one),
        [var h, var w, ..] => (h, w),
    };
}
