using GraNet.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>LeNet-300-100: a multilayer perceptron input → 300 → 100 → classes with ReLU (266,610 parameters on 28x28 inputs).</summary>
public sealed class LeNet300100 : nn.Module<Tensor, Tensor>, ILinearChain
{
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Linear fc3;

    public LeNet300100(ImageShape input, int classes)
        : base("lenet-300-100")
    {
        fc1 = nn.Linear(input.Size, 300);
        fc2 = nn.Linear(300, 100);
        fc3 = nn.Linear(100, classes);
        RegisterComponents();
    }

    public IReadOnlyList<Linear> Layers => [fc1, fc2, fc3];

    /// <param name="input"><c>[N, C, H, W]</c> images.</param>
    /// <returns><c>[N, classes]</c> logits.</returns>
    public override Tensor forward(Tensor input)
    {
        using var flat = input.flatten(1);
        using var h1 = nn.functional.relu(fc1.call(flat));
        using var h2 = nn.functional.relu(fc2.call(h1));
        return fc3.call(h2);
    }
}
