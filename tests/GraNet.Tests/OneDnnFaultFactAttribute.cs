using GraNet.Runtime;
using Xunit;

namespace GraNet.Tests;

/// <summary>
/// A fact about what happens where libtorch's oneDNN convolutions compute wrong results (the start-up check turned them
/// off: <see cref="TorchRuntime.ConvolutionNote"/>): skipped, with the reason, on machines where they compute right.
/// </summary>
public sealed class OneDnnFaultFactAttribute : FactAttribute
{
    public OneDnnFaultFactAttribute()
    {
        TorchRuntime.CheckConvolutions();
        if (TorchRuntime.ConvolutionNote is null)
        {
            Skip = "oneDNN's convolutions compute right on this machine: its start-up check turned nothing off";
        }
    }
}
