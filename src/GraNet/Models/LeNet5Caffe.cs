using GraNet.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// LeNet-5-Caffe: conv 20 (5x5) → max-pool 2 → conv 50 (5x5) → max-pool 2 → fc 500 → fc classes,
/// ReLU after each hidden layer. 431,080 parameters on 28x28 inputs.
/// </summary>
public sealed class LeNet5Caffe : nn.Module<Tensor, Tensor>, ISequentialNetwork
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc3;
    private readonly Linear fc4;

    public LeNet5Caffe(ImageShape input, int classes)
        : base("lenet5-caffe")
    {
        conv1 = nn.Conv2d(input.Channels, 20, 5);
        conv2 = nn.Conv2d(20, 50, 5);
        int height = (((input.Height - 4) / 2) - 4) / 2;
        int width = (((input.Width - 4) / 2) - 4) / 2;
        if (height < 1 || width < 1)
        {
            throw new ArgumentException($"LeNet-5-Caffe needs inputs of at least 16x16, got {input}.", nameof(input));
        }
        fc3 = nn.Linear(50 * height * width, 500);
        fc4 = nn.Linear(500, classes);
        RegisterComponents();
        Stages =
        [
            new ConvolutionStage("conv1", conv1), new ReluStage(), new MaxPoolStage(2),
            new ConvolutionStage("conv2", conv2), new ReluStage(), new MaxPoolStage(2),
            new FlattenStage(), new LinearStage("fc3", fc3), new ReluStage(), new LinearStage("fc4", fc4),
        ];
    }

    public IReadOnlyList<NetworkStage> Stages { get; }

    /// <param name="input"><c>[N, C, H, W]</c> images.</param>
    /// <returns><c>[N, classes]</c> logits.</returns>
    public override Tensor forward(Tensor input) => SequentialForward.Run(Stages, input);
}
