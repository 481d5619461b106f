using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace GraNet.Inference;

/// <summary>
/// CSR tensors of libtorch. TorchSharp has no binding for <c>to_sparse_csr</c>, so the conversion
/// runs as a one-line TorchScript function; the product of the resulting tensor with a dense one
/// is a plain <c>torch.mm</c>. libtorch prints a "CSR support is in beta" warning to the process's
/// standard error the first time; on Linux that one conversion runs with standard error sent to
/// /dev/null so that users do not see it on every run.
/// </summary>
public static partial class LibTorchCsr
{
    private static readonly Lazy<jit.CompilationUnit> Script = new(() => jit.compile("def to_csr(weight: Tensor) -> Tensor:\n    return weight.to_sparse_csr()\n"));
    private static readonly Lock Gate = new();
    private static bool warned;

    /// <summary>The CSR form of a 2-D dense tensor (a new tensor the caller disposes).</summary>
    public static Tensor FromDense(Tensor matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.dim() != 2)
        {
            throw new ArgumentException($"CSR needs a matrix; got shape [{string.Join(", ", matrix.shape)}].", nameof(matrix));
        }
        lock (Gate)
        {
            if (warned || !OperatingSystem.IsLinux())
            {
                return (Tensor)Script.Value.invoke("to_csr", matrix);
            }
            warned = true;
            int saved = Dup(2);
            int devNull = Open("/dev/null", 1);
            if (saved < 0 || devNull < 0)
            {
                return (Tensor)Script.Value.invoke("to_csr", matrix);
            }
            try
            {
                Console.Error.Flush();
                _ = Dup2(devNull, 2);
                return (Tensor)Script.Value.invoke("to_csr", matrix);
            }
            finally
            {
                _ = Dup2(saved, 2);
                _ = Close(saved);
                _ = Close(devNull);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "dup")]
    private static partial int Dup(int descriptor);

    [LibraryImport("libc", EntryPoint = "dup2")]
    private static partial int Dup2(int descriptor, int target);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
