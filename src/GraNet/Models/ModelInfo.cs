using GraNet.Data;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>A model in the registry: its name, what it is, and how to build it.</summary>
public sealed record ModelInfo(string Name, string Description, Func<ImageShape, int, nn.Module<Tensor, Tensor>> Create);
