using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using GraNet.Training.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// SNFS's momentum growth follows the optimizer that trains the model (spec §5: SGD's buffer,
/// Adam's m/(√v + 1e-8)) with its hyperparameters, on a dense copy that survives checkpoints.
/// </summary>
public class MomentumGrowthTests
{
    /// <summary>
    /// A layer of 5 weights where only position 0 is active (at 0.5, with gradient 0), so regeneration at
    /// rate 1 drops it and grows the best-scored position of the five.
    /// </summary>
    private static Sequential OneActive() => TinyNets.Row([0.5f, 0f, 0f, 0f, 0f]);

    private static MaskSet MasksOf(Sequential layer, optim.Optimizer optimizer)
    {
        var masks = MaskSet.ForModel(layer, optimizer);
        using var mask = tensor(new[] { true, false, false, false, false }).reshape(1, 5);
        masks.Layers[0].SetMask(mask);
        return masks;
    }

    /// <summary>Gives the layer gradient <paramref name="first"/>, lets <paramref name="growth"/> see it, then the same with <paramref name="second"/>.</summary>
    private static void TwoSteps(IGrowthScore growth, MaskSet masks, float[] first, float[] second)
    {
        var weight = masks.Layers[0].Weight;
        TinyNets.SetGradient(weight, first);
        growth.AfterStep(masks);
        weight.grad!.zero_();
        TinyNets.SetGradient(weight, second);
        growth.AfterStep(masks);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 5);
        }
    }

    private static int Grown(MaskSet masks) => Array.IndexOf(TinyNets.Flat(masks.Layers[0].Mask), true);

    [Fact]
    public void Sgd_momentum_follows_a_momentum_changed_during_the_run()
    {
        // As a scheduler does (OneCycleLR cycles it): momentum 0.5 at the first step, 0.9 at the second. The buffer is
        // g1 = (2, 1, -2, 0) after the first step, then 0.9·g1 + g2 = (1.8, 1.9, 1.2, 0.5): position 2 grows. Kept at the
        // first step's 0.5 it would be (1, 1.5, 2, 0.5), growing position 3.
        using var layer = OneActive();
        using var optimizer = new ScalarSafeSgd(layer.parameters(), 0.1, 0.5);
        using var masks = MasksOf(layer, optimizer);
        using var growth = new MomentumGrowth();
        var weight = masks.Layers[0].Weight;
        TinyNets.SetGradient(weight, [0f, 2f, 1f, -2f, 0f]);
        growth.AfterStep(masks);
        ((optim.IMomentum)optimizer.ParamGroups.Single()).Momentum = 0.9; // what OneCycleLR sets
        weight.grad!.zero_();
        TinyNets.SetGradient(weight, [0f, 0f, 1f, 3f, 0.5f]);
        growth.AfterStep(masks);
        using (var score = growth.Score(masks.Layers[0], masks))
        {
            AssertClose([0f, 1.8f, 1.9f, 1.2f, 0.5f], TinyNets.Values(score));
        }
        new Regenerator(growth).Regenerate(masks, 1.0);
        Assert.Equal(2, Grown(masks));
    }

    [Theory]
    // Positions 1..4 get g1 = (2, 1, -2, 0) and then g2 = (0, 1, 3, 0.5). The old score, 0.9·m + g whatever
    // the optimizer, is |(1.8, 1.9, 1.2, 0.5)| and grows position 2.
    // SGD momentum 0.5: b = 0.5·g1 + g2 = (1, 1.5, 2, 0.5): position 3 grows.
    [InlineData(0.5, 0.0, new[] { 0f, 1f, 1.5f, 2f, 0.5f }, 3)]
    // SGD momentum 0.9, dampening 0.5: b = 0.9·g1 + 0.5·g2 = (1.8, 1.4, -0.3, 0.25): position 1 grows.
    [InlineData(0.9, 0.5, new[] { 0f, 1.8f, 1.4f, 0.3f, 0.25f }, 1)]
    // SGD momentum 0.5, dampening 0.5: b = 0.5·g1 + 0.5·g2 = (1, 1, 0.5, 0.25): the tie goes to position 1.
    [InlineData(0.5, 0.5, new[] { 0f, 1f, 1f, 0.5f, 0.25f }, 1)]
    // SGD momentum 0.9 without dampening is the old rule: position 2.
    [InlineData(0.9, 0.0, new[] { 0f, 1.8f, 1.9f, 1.2f, 0.5f }, 2)]
    public void Sgd_momentum_follows_the_optimizers_momentum_and_dampening(double momentum, double dampening, float[] expected, int grown)
    {
        using var layer = OneActive();
        using var optimizer = new ScalarSafeSgd(layer.parameters(), 0.1, momentum, dampening);
        using var masks = MasksOf(layer, optimizer);
        using var growth = new MomentumGrowth();

        TwoSteps(growth, masks, [0f, 2f, 1f, -2f, 0f], [0f, 0f, 1f, 3f, 0.5f]);

        using (var score = growth.Score(masks.Layers[0], masks))
        {
            AssertClose(expected, TinyNets.Values(score));
        }
        new Regenerator(growth).Regenerate(masks, 1.0);
        Assert.Equal(grown, Grown(masks));
    }

    [Fact]
    public void Adam_momentum_is_m_over_the_root_of_v_with_the_optimizers_betas()
    {
        // β1 = 0.9, β2 = 0.999; positions 1..4 get g1 = (20, 1, -2, 0), then g2 = (0, 1, 3, 0.5):
        // m = 0.09·g1 + 0.1·g2 = (1.8, 0.19, 0.12, 0.05), v = 0.000999·g1² + 0.001·g2² = (0.3996, 0.001999, 0.012996, 0.00025),
        // |m| / (√v + 1e-8) = (2.847474, 4.249591, 1.052631, 3.162276): position 2 grows, where the old 0.9·m + g
        // = (18, 1.9, 1.2, 0.5) would grow position 1.
        using var layer = OneActive();
        using var optimizer = new ScalarSafeAdam(layer.parameters(), 0.01);
        using var masks = MasksOf(layer, optimizer);
        using var growth = new MomentumGrowth();

        TwoSteps(growth, masks, [0f, 20f, 1f, -2f, 0f], [0f, 0f, 1f, 3f, 0.5f]);

        using (var score = growth.Score(masks.Layers[0], masks))
        {
            AssertClose([0f, 2.847474f, 4.249591f, 1.052631f, 3.162276f], TinyNets.Values(score));
        }
        new Regenerator(growth).Regenerate(masks, 1.0);
        Assert.Equal(2, Grown(masks));
    }

    [Fact]
    public void AdamW_betas_are_read_from_the_parameter_group()
    {
        // β1 = 0.5, β2 = 0.75, one step with g = (0, 2, -4, 0, 1): m = 0.5·g, v = 0.25·g², |m| / (√v + 1e-8) = 1 wherever g ≠ 0;
        // a second step with g = (0, 2, 0, 0, 0): m = (0, 1.5, -1, 0, 0.25), v = (0, 1.75, 3, 0, 0.1875): (0, 1.133893, 0.577350, 0, 0.577350).
#pragma warning disable GRANET002 // TorchSharp's own AdamW: its step is not called
        using var layer = OneActive();
        using var optimizer = optim.AdamW(layer.parameters(), 0.01, beta1: 0.5, beta2: 0.75);
#pragma warning restore GRANET002
        using var masks = MasksOf(layer, optimizer);
        using var growth = new MomentumGrowth();

        TwoSteps(growth, masks, [0f, 2f, -4f, 0f, 1f], [0f, 2f, 0f, 0f, 0f]);

        using var score = growth.Score(masks.Layers[0], masks);
        AssertClose([0f, 1.133893f, 0.577350f, 0f, 0.577350f], TinyNets.Values(score));
    }

    private static MemoryStream Saved(IGrowthScore growth)
    {
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            growth.Save(writer);
        }
        stream.Position = 0;
        return stream;
    }

    private static void Load(IGrowthScore growth, Stream stream, MaskSet masks)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        growth.Load(reader, masks);
    }

    [Fact]
    public void Adam_moments_survive_a_checkpoint_and_continue_as_if_uninterrupted()
    {
        // The Adam example above, saved after the first step and continued by a fresh criterion.
        using var layer = OneActive();
        using var optimizer = new ScalarSafeAdam(layer.parameters(), 0.01);
        using var masks = MasksOf(layer, optimizer);
        var weight = masks.Layers[0].Weight;
        using var growth = new MomentumGrowth();
        TinyNets.SetGradient(weight, [0f, 20f, 1f, -2f, 0f]);
        growth.AfterStep(masks);

        using var stream = Saved(growth);
        using var resumed = new MomentumGrowth();
        Load(resumed, stream, masks);
        weight.grad!.zero_();
        TinyNets.SetGradient(weight, [0f, 0f, 1f, 3f, 0.5f]);
        resumed.AfterStep(masks);

        using var score = resumed.Score(masks.Layers[0], masks);
        Assert.Equal([1L, 5L], score.shape);
        AssertClose([0f, 2.847474f, 4.249591f, 1.052631f, 3.162276f], TinyNets.Values(score));
    }

    /// <summary>A growth-momentum section as the first format wrote it: the layer count, then name, size and float32 values of each layer.</summary>
    private static MemoryStream FirstFormat(string name, float[] momentum)
    {
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(1);
            writer.Write(name);
            writer.Write((long)momentum.Length);
            foreach (float value in momentum)
            {
                writer.Write(value);
            }
        }
        stream.Position = 0;
        return stream;
    }

    [Fact]
    public void A_checkpoint_of_the_first_format_is_read_for_sgd_at_momentum_0_9_and_refused_otherwise()
    {
        // The first format kept m = 0.9·m + g: exactly SGD's buffer at momentum 0.9 without dampening.
        using var layer = OneActive();
        using (var sgd = new ScalarSafeSgd(layer.parameters(), 0.1, 0.9))
        using (var masks = MasksOf(layer, sgd))
        using (var growth = new MomentumGrowth())
        using (var stream = FirstFormat("fc.weight", [0f, 1f, -2f, 3f, -4f]))
        {
            Load(growth, stream, masks);
            TinyNets.SetGradient(masks.Layers[0].Weight, [0f, 1f, 1f, 1f, 1f]);
            growth.AfterStep(masks);
            using var score = growth.Score(masks.Layers[0], masks);
            AssertClose([0f, 1.9f, 0.8f, 3.7f, 2.6f], TinyNets.Values(score));
        }

        foreach (optim.Optimizer other in new optim.Optimizer[] { new ScalarSafeSgd(layer.parameters(), 0.1, 0.5), new ScalarSafeAdam(layer.parameters()) })
        {
            using var masks = MasksOf(layer, other);
            using var growth = new MomentumGrowth();
            using var stream = FirstFormat("fc.weight", [0f, 1f, -2f, 3f, -4f]);
            var e = Assert.Throws<InvalidDataException>(() => Load(growth, stream, masks));
            Assert.StartsWith("The checkpoint's growth momentum was written by an older GraNet, which kept a momentum of β = 0.9 without dampening whatever the optimizer;", e.Message, StringComparison.Ordinal);
            other.Dispose();
        }
    }

    [Fact]
    public void A_checkpoint_is_refused_for_another_optimizer_or_another_model()
    {
        using var layer = OneActive();
        using var adam = new ScalarSafeAdam(layer.parameters());
        using var adamMasks = MasksOf(layer, adam);
        using var growth = new MomentumGrowth();
        TinyNets.SetGradient(adamMasks.Layers[0].Weight, [0f, 1f, 2f, 3f, 4f]);
        growth.AfterStep(adamMasks);
        using var stream = Saved(growth);

        using var sgd = new ScalarSafeSgd(layer.parameters(), 0.1, 0.9);
        using var sgdMasks = MasksOf(layer, sgd);
        var e = Assert.Throws<InvalidDataException>(() => Load(new MomentumGrowth(), stream, sgdMasks));
        Assert.Equal("The checkpoint's growth momentum of fc.weight follows Adam, this run's optimizer is ScalarSafeSgd; resume with the same optimizer.", e.Message);

        using var other = TinyNets.TwoLayers([1, 2, 3, 4], [5, 6]);
        using var otherOptimizer = new ScalarSafeAdam(other.parameters());
        using var otherMasks = MaskSet.ForModel(other, otherOptimizer);
        stream.Position = 0;
        e = Assert.Throws<InvalidDataException>(() => Load(new MomentumGrowth(), stream, otherMasks));
        Assert.Equal("The checkpoint's growth momentum of fc.weight (5 weights) matches no masked layer of this model; resume with the same model.", e.Message);
    }

    [Fact]
    public void An_optimizer_without_a_momentum_it_can_follow_or_no_optimizer_is_refused_at_the_first_step()
    {
        using var layer = OneActive();
#pragma warning disable GRANET002 // TorchSharp's own RMSprop: its step is not called
        using var rmsprop = optim.RMSProp(layer.parameters(), momentum: 0.9);
#pragma warning restore GRANET002
        using var masks = MasksOf(layer, rmsprop);
        TinyNets.SetGradient(masks.Layers[0].Weight, [0f, 1f, 2f, 3f, 4f]);
        using var growth = new MomentumGrowth();
        var e = Assert.Throws<ArgumentException>(() => growth.AfterStep(masks));
        Assert.StartsWith("Momentum growth (snfs) follows the momentum of SGD, Adam or AdamW, not of RMSProp; use gradient or random growth (SparsityOptions.Growth) with it.", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => MomentumGrowth.RequireSupported(rmsprop));

        using var alone = MaskSet.ForModel(layer, null);
        e = Assert.Throws<ArgumentException>(() => growth.AfterStep(alone));
        Assert.StartsWith("Momentum growth follows the optimizer's momentum; make the masks with the optimizer that trains the model.", e.Message, StringComparison.Ordinal);
    }
}
