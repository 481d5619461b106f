using GraNet.Sparsity;
using GraNet.Training;
using GraNet.Training.Optimizers;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

public class FixedMaskHookTests
{
    [Fact]
    public void Held_masks_zero_the_weights_at_attach_and_the_weights_and_momentum_after_every_step()
    {
        // w = [0.8, 0.3, 0.6, 0.7] with mask [1, 0, 1, 0]: attach zeroes positions 1 and 3 -> [0.8, 0, 0.6, 0].
        // One SGD step (lr 0.1, momentum 0.9) with gradient 1 everywhere: w = [0.7, -0.1, 0.5, -0.1], buffer = [1, 1, 1, 1];
        // after the step the hook leaves w = [0.7, 0, 0.5, 0] and buffer = [1, 0, 1, 0].
        using var model = TinyNets.Row([0.8f, 0.3f, 0.6f, 0.7f]);
        var weight = model.parameters().Single();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0.9);
        using var mask = tensor(new[] { true, false, true, false }).reshape(1, 4);
        using var hook = new FixedMaskHook([mask]);
        hook.Attach(new TrainingContext(model, optimizer, 1, 1, 1, 0, [4]));
        Assert.Equal([0.8f, 0f, 0.6f, 0f], TinyNets.Values(weight));

        TinyNets.SetGradient(weight, [1f, 1f, 1f, 1f]);
        optimizer.step();
        hook.AfterOptimizerStep(1);

        float[] w = TinyNets.Values(weight);
        Assert.Equal(0.7f, w[0], 6);
        Assert.Equal(0.5f, w[2], 6);
        Assert.Equal((0f, 0f), (w[1], w[3]));
        var buffer = ((SGD.State)optimizer.state_dict().State[0]).momentum_buffer!;
        Assert.Equal([1f, 0f, 1f, 0f], TinyNets.Values(buffer));
        Assert.Equal(0.5, hook.EpochScalars()["density"]);
    }

    [Fact]
    public void A_mask_count_that_differs_from_the_maskable_layers_is_refused()
    {
        using var model = TinyNets.TwoLayers([1, 2, 3, 4], [5, 6]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1);
        using var mask = ones(2, 2, dtype: ScalarType.Bool);
        using var hook = new FixedMaskHook([mask]);
        var e = Assert.Throws<ArgumentException>(() => hook.Attach(new TrainingContext(model, optimizer, 1, 1, 1, 0, [2])));
        Assert.Equal("1 masks given for the model's 2 maskable layers (fc1.weight, fc2.weight); give one per layer, in that order.", e.Message);
    }

    [Fact]
    public void A_mask_of_another_size_than_its_layer_is_refused_naming_both()
    {
        using var model = TinyNets.TwoLayers([1, 2, 3, 4], [5, 6]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1);
        using var first = ones(2, 2, dtype: ScalarType.Bool);
        using var second = ones(3, dtype: ScalarType.Bool);
        using var hook = new FixedMaskHook([first, second]);
        var e = Assert.Throws<ArgumentException>(() => hook.Attach(new TrainingContext(model, optimizer, 1, 1, 1, 0, [2])));
        Assert.Equal("Mask 1 has 3 entries, layer fc2.weight 2 (shape [1, 2]); give each layer a mask of its weight's shape, in the order of the layers.", e.Message);
    }
}
