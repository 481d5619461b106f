using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Masks;

/// <summary>
/// Which elements of memory a tensor is: the address of its first element, its element type, shape and strides. Two
/// TorchSharp objects (handles) of one parameter have the same; so a weight tied to another module's (a classifier tied to
/// an <c>Embedding</c>, whose <c>weight</c> makes a new object at each read) is known as one weight, and every optimizer entry
/// that trains it is masked.
/// </summary>
/// <remarks>Tensors not on the CPU, or empty, are told apart by handle only (no address is read from them).</remarks>
internal readonly record struct TensorMemory(nint Address, ScalarType Type, string Layout)
{
    public static TensorMemory Of(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        string layout = string.Join(',', tensor.shape) + "/" + string.Join(',', tensor.stride());
        if (tensor.device_type != DeviceType.CPU || tensor.numel() == 0)
        {
            return new TensorMemory(tensor.Handle, tensor.dtype, "handle " + layout);
        }
        // A one-element view at the tensor's first element is contiguous whatever the tensor's strides, so its bytes can be read.
        using var first = tensor.as_strided([1], [1], tensor.storage_offset());
        return new TensorMemory(AddressOf(first), tensor.dtype, layout);
    }

    private static unsafe nint AddressOf(Tensor element) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(element.bytes));
}
