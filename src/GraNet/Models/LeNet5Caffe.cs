using GraNet.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// LeNet-5-Caffe: conv 20 (5x5) → max-pool 2 → conv 50 (5x5) → max-pool 2 → fc 500 → fc classes,
/// ReLU after each hidden layer. 431,080 parameters on 28x28 inputs.
/// </summary>
public sealed class LeNet5Caffe : nn.Module<Tensor, Tensor>
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
    }

    /// <param name="input"><c>[N, C, H, W]</c> images.</param>
    /// <returns><c>[N, classes]</c> logits.</returns>
    public override Tensor forward(Tensor input)
    {
        using var c1 = conv1.call(input);
        using var r1 = nn.functional.relu(c1);
        using var p1 = nn.functional.max_pool2d(r1, 2);
        using var c2 = conv2.call(p1);
        using var r2 = nn.functional.relu(c2);
        using var p2 = nn.functional.max_pool2d(r2, 2);
        using var flat = p2.flatten(1);
        using var f3 = fc3.call(flat);
        using var r3 = nn.functional.relu(f3);
        return fc4.call(r3);
    }
}
