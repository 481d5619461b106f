using GraNet.Sparsity.Flops;
using GraNet.Sparsity.Masks;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

public class FlopCounterTests
{
    [Fact]
    public void Counts_two_flops_per_multiply_add_times_output_positions()
    {
        // conv 1->2, 3x3 on 5x5: 18 weights x 9 positions x 2 = 324; linear 18 -> 4: 72 x 2 = 144.
        using var model = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("flat", nn.Flatten()), ("fc", nn.Linear(18, 4)));
        using var masks = MaskSet.ForModel(model, null);
        var counter = FlopCounter.Measure(model, [1, 5, 5], masks);
        Assert.Equal(468, counter.DenseForward);
        using (var half = tensor(Enumerable.Range(0, 18).Select(i => i % 2 == 0).ToArray()).reshape(2, 1, 3, 3))
        {
            masks.Layers[0].SetMask(half);
        }
        // 9 active conv weights: 2 x 9 x 9 = 162, plus 144.
        Assert.Equal(306, counter.Forward());
    }

    [Fact]
    public void Lenet5_caffe_dense_forward_flops()
    {
        // conv1 500 weights x 24x24, conv2 25,000 x 8x8, fc3 400,000, fc4 5,000; x2.
        using var model = GraNet.Models.ModelRegistry.Create("lenet5-caffe", new GraNet.Data.ImageShape(1, 28, 28), 10);
        var counter = FlopCounter.Measure(model, [1, 28, 28], null);
        Assert.Equal(2.0 * ((500 * 576) + (25_000 * 64) + 400_000 + 5_000), counter.DenseForward);
    }

    [Fact]
    public void A_weight_shared_by_two_modules_counts_for_each_and_a_module_used_twice_counts_twice()
    {
        // in 2->4 (8 weights), then a 4->4 weight (16) run by two Linear modules, out 4->3 (12): 8 + 16 + 16 + 12 = 52 multiply-adds.
        var a = nn.Linear(4, 4);
        var b = nn.Linear(4, 4);
        b.weight = a.weight; // tied: one parameter, two modules
        using var tied = nn.Sequential(("in", nn.Linear(2, 4)), ("a", a), ("b", b), ("out", nn.Linear(4, 3)));
        using var tiedMasks = MaskSet.ForModel(tied, null);
        Assert.Equal(3, tiedMasks.Layers.Count); // the shared weight is masked once
        Assert.Equal(2.0 * 52, FlopCounter.Measure(tied, [2], tiedMasks).DenseForward); // was 2 x 36: module b left out

        // The same module twice in the chain: its hook runs twice.
        var shared = nn.Linear(4, 4);
        using var reused = nn.Sequential(("in", nn.Linear(2, 4)), ("a", shared), ("b", shared), ("out", nn.Linear(4, 3)));
        using var reusedMasks = MaskSet.ForModel(reused, null);
        Assert.Equal(2.0 * 52, FlopCounter.Measure(reused, [2], reusedMasks).DenseForward);
    }

    [Fact]
    public void A_weight_tied_through_two_objects_counts_its_active_weights_at_each_use()
    {
        // Two Linear 8->8 modules both given an Embedding's weight, which TorchSharp hands out as a new object at each read:
        // one weight, masked once (as a.weight). With 1 of its 64 positions active, each use costs 1 multiply-add per sample,
        // plus nothing else: 2 x (1 + 1) FLOPs. Matched by handle, b counted all 64 (130).
        var embedding = nn.Embedding(8, 8);
        var a = nn.Linear(8, 8, hasBias: false);
        var b = nn.Linear(8, 8, hasBias: false);
        a.weight = embedding.weight!;
        b.weight = embedding.weight!;
        using var model = nn.Sequential(("a", a), ("relu", nn.ReLU()), ("b", b));
        using var masks = MaskSet.ForModel(model, null);
        Assert.Equal(["a.weight"], masks.Layers.Select(l => l.Name));
        using (var one = zeros(8, 8, ScalarType.Bool))
        {
            one[0, 0] = tensor(true);
            masks.Layers[0].SetMask(one);
        }
        masks.Apply();
        Assert.Equal(2.0 * (1 + 1), FlopCounter.Measure(model, [8], masks).Forward());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_weight_no_mask_covers_counts_all_its_weights_beside_the_masked_ones(bool denseFirst)
    {
        // fc1 4->3 (12 weights) left unmasked, as the dense first layer or frozen; fc2 3->2 (6 weights) masked with 1 active:
        // 2 x (12 + 1) = 26 FLOPs of the dense 2 x 18 = 36.
        using var model = nn.Sequential(("fc1", nn.Linear(4, 3, hasBias: false)), ("fc2", nn.Linear(3, 2, hasBias: false)));
        if (!denseFirst)
        {
            model.parameters().First().requires_grad = false;
        }
        using var masks = MaskSet.ForModel(model, null, denseFirstLayer: denseFirst);
        Assert.Equal(["fc2.weight"], masks.Layers.Select(l => l.Name));
        var counter = FlopCounter.Measure(model, [4], masks);
        using (var one = zeros(2, 3, ScalarType.Bool))
        {
            one[1, 2] = tensor(true);
            masks.Layers[0].SetMask(one);
        }
        Assert.Equal(36, counter.DenseForward);
        Assert.Equal(26, counter.Forward());
    }
}
