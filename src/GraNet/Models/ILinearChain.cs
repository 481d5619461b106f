using TorchSharp.Modules;

namespace GraNet.Models;

/// <summary>A model whose forward pass is: flatten, then linear layers with ReLU between them (none after the last).</summary>
public interface ILinearChain
{
    IReadOnlyList<Linear> Layers { get; }
}
