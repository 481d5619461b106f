using GraNet.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>LeNet-300-100: a multilayer perceptron input → 300 → 100 → classes with ReLU (266,610 parameters on 28x28 inputs).</summary>
public sealed class LeNet300100 : nn.Module<Tensor, Tensor>, ISequentialNetwork
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
        Stages = [new FlattenStage(), new LinearStage("fc1", fc1), new ReluStage(), new LinearStage("fc2", fc2), new ReluStage(), new LinearStage("fc3", fc3)];
    }

    public IReadOnlyList<NetworkStage> Stages { get; }

    /// <param name="input"><c>[N, C, H, W]</c> images.</param>
    /// <returns><c>[N, classes]</c> logits.</returns>
    public override Tensor forward(Tensor input) => SequentialForward.Run(Stages, input);
}
