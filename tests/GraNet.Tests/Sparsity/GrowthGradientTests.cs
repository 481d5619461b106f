using GraNet.Sparsity;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using GraNet.Training.Optimizers;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// Gradient and momentum growth rank with the gradient backprop left for the step: a loop that clears
/// it before the mask update is refused at the first growth event instead of growing a fixed pattern.
/// </summary>
public class GrowthGradientTests
{
    private static readonly SparsityOptions Dynamic = new() { Method = SparsityMethodKind.RigL, FinalDensity = 0.3, UpdateInterval = 3, RigLStopFraction = 1 };

    private static Sequential Mlp()
    {
        manual_seed(3);
        return nn.Sequential(("fc1", nn.Linear(16, 32)), ("relu", nn.ReLU()), ("fc2", nn.Linear(32, 4)));
    }

    /// <summary>Runs steps 1..3 (the first growth event is at step 3) with the gradients cleared between the step and the mask update.</summary>
    private static InvalidOperationException ClearedBeforeUpdate(SparsityMethodKind method, Action<Sequential, ScalarSafeSgd> clear)
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9);
        using var controller = SparsityController.Create(model, optimizer, Dynamic with { Method = method }, 4, 2, [16]);
        var generator = new Generator(9);
        for (long step = 1; step <= 2; step++)
        {
            using var scope = NewDisposeScope();
            nn.functional.cross_entropy(model.call(randn([8, 16], generator: generator)), randint(0, 4, [8], generator: generator)).backward();
            optimizer.step();
            clear(model, optimizer);
            controller.AfterOptimizerStep(step); // no growth event: the check costs nothing here
        }
        using var last = NewDisposeScope();
        nn.functional.cross_entropy(model.call(randn([8, 16], generator: generator)), randint(0, 4, [8], generator: generator)).backward();
        optimizer.step();
        clear(model, optimizer);
        return Assert.Throws<NoGradientException>(() => controller.AfterOptimizerStep(3));
    }

    [Theory]
    [InlineData(SparsityMethodKind.RigL, "gradient")]
    [InlineData(SparsityMethodKind.Snfs, "momentum")]
    public void Gradients_zeroed_by_the_optimizer_before_the_mask_update_are_refused_at_the_growth_event(SparsityMethodKind method, string criterion)
    {
        var e = ClearedBeforeUpdate(method, (_, optimizer) => optimizer.zero_grad());
        Assert.Equal(
            $"Every gradient of the model is zero or undefined at this growth event (fc1.weight's is all zeros), so {criterion} growth cannot rank the positions to grow: call SparsityController.AfterOptimizerStep after optimizer.step() and before optimizer.zero_grad(), or, if it is called there, no gradient reaches the weights (the loss does not depend on them).",
            e.Message);
    }

    [Theory]
    [InlineData(SparsityMethodKind.RigL)]
    [InlineData(SparsityMethodKind.Snfs)]
    public void Gradients_freed_by_the_module_before_the_mask_update_are_refused_at_the_growth_event(SparsityMethodKind method)
    {
        var e = ClearedBeforeUpdate(method, (model, _) => model.zero_grad());
        Assert.StartsWith("Every gradient of the model is zero or undefined at this growth event (fc1.weight's is undefined)", e.Message, StringComparison.Ordinal);
        Assert.Contains("before optimizer.zero_grad()", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dead_layer_among_live_ones_is_not_refused_and_grows_its_lowest_positions()
    {
        // fc1's gradient is all zero (no gradient reaches it), fc2's is not: a dead layer, not cleared gradients.
        // fc1 is active at 2 and 3 (n = 2), rate 0.5 -> k = 1: drop 2 (|0.3| < |0.4|); every candidate scores 0, so
        // position 0 grows. fc2 is active at 0 (n = 1): drop it and grow the larger gradient, position 1.
        using var model = TinyNets.TwoLayers([0f, 0f, 0.3f, 0.4f], [0.5f, 0f]);
        using var masks = MaskSet.ForModel(model, null);
        using (var first = tensor(new[] { false, false, true, true }).reshape(2, 2))
        using (var second = tensor(new[] { true, false }).reshape(1, 2))
        {
            masks.Layers[0].SetMask(first);
            masks.Layers[1].SetMask(second);
        }
        TinyNets.SetGradient(masks.Layers[0].Weight, [0f, 0f, 0f, 0f]);
        TinyNets.SetGradient(masks.Layers[1].Weight, [0.1f, -0.7f]);

        new Regenerator(new GradientGrowth()).Regenerate(masks, 0.5);

        Assert.Equal([true, false, false, true], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([false, true], TinyNets.Flat(masks.Layers[1].Mask));
    }
}
