using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>Small models with hand-set weights for exact tests.</summary>
internal static class TinyNets
{
    /// <summary>Two bias-free linear layers: fc1 2x2 and fc2 1x2, weights set from the arguments.</summary>
    public static Sequential TwoLayers(float[] first, float[] second)
    {
        var fc1 = nn.Linear(2, 2, hasBias: false);
        var fc2 = nn.Linear(2, 1, hasBias: false);
        using (no_grad())
        {
            fc1.weight!.copy_(tensor(first).reshape(2, 2));
            fc2.weight!.copy_(tensor(second).reshape(1, 2));
        }
        return nn.Sequential(("fc1", fc1), ("fc2", fc2));
    }

    /// <summary>One bias-free linear layer n → 1 with the given weights, inside a container.</summary>
    public static Sequential Row(float[] weights)
    {
        var fc = nn.Linear(weights.Length, 1, hasBias: false);
        using (no_grad())
        {
            fc.weight!.copy_(tensor(weights).reshape(1, weights.Length));
        }
        return nn.Sequential(("fc", fc));
    }

    /// <summary>A 10 → 12 → <paramref name="outputs"/> perceptron with ReLU, drawn after <c>manual_seed(3)</c> (the same weights each time).</summary>
    public static Sequential SeededMlp(int outputs = 3)
    {
        manual_seed(3);
        return nn.Sequential(("fc1", nn.Linear(10, 12)), ("relu", nn.ReLU()), ("fc2", nn.Linear(12, outputs)));
    }

    /// <summary>One optimizer step of <see cref="SeededMlp"/> on a batch drawn from <paramref name="seed"/>; the gradients are left in place for a controller.</summary>
    public static void SeededStep(Sequential model, OptimizerHelper optimizer, int seed)
    {
        var generator = new Generator((ulong)seed);
        using var x = randn([8, 10], generator: generator);
        using var y = randint(0, 3, [8], generator: generator);
        optimizer.zero_grad();
        using var loss = nn.functional.cross_entropy(model.call(x), y);
        loss.backward();
        optimizer.step();
    }

    /// <summary>Gives <paramref name="weight"/> the gradient <paramref name="gradient"/> (backward of sum(w * g)).</summary>
    public static void SetGradient(Parameter weight, float[] gradient)
    {
        using var g = tensor(gradient).reshape(weight.shape);
        using var product = weight.mul(g);
        using var loss = product.sum();
        loss.backward();
    }

    public static bool[] Flat(Tensor mask)
    {
        using var flat = mask.flatten();
        return flat.data<bool>().ToArray();
    }

    public static float[] Values(Tensor t)
    {
        using var flat = t.detach().flatten();
        return flat.data<float>().ToArray();
    }
}
