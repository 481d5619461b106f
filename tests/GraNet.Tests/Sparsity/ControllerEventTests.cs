using GraNet.Sparsity;
using GraNet.Sparsity.Criteria;
using GraNet.Training.Optimizers;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// The controller on one linear layer of 8 weights (8 → 1, no bias), where every count is small
/// enough to work out by hand: which events happen after which step, in which order, at which
/// density and regrowth rate, and what the FLOPs add up to.
/// </summary>
public class ControllerEventTests
{
    private static readonly float[] Weights = [0.8f, -0.1f, 0.6f, 0.3f, -0.7f, 0.2f, 0.5f, -0.4f];

    /// <summary>Runs every step of the run with SGD, each with the same gradient, calling the controller after each.</summary>
    private static (List<MaskUpdate> Updates, List<bool> Ready, SparsityController Controller) Run(Sequential model, SparsityOptions options, int stepsPerEpoch, int epochs)
    {
        var optimizer = new ScalarSafeSgd(model.parameters(), 0.01, 0.9);
        var updates = new List<MaskUpdate>();
        var controller = SparsityController.Create(model, optimizer, options, stepsPerEpoch, epochs, [8], seed: 1, maskUpdated: updates.Add);
        var ready = new List<bool> { controller.ReadyForSelection };
        for (long step = 1; step <= (long)stepsPerEpoch * epochs; step++)
        {
            optimizer.zero_grad();
            TinyNets.SetGradient(controller.Masks.Layers[0].Weight, [0.1f, -0.2f, 0.3f, -0.4f, 0.5f, -0.6f, 0.7f, -0.8f]);
            optimizer.step();
            controller.AfterOptimizerStep(step);
            ready.Add(controller.ReadyForSelection);
        }
        return (updates, ready, controller);
    }

    [Fact]
    public void Gmp_prunes_on_the_cubic_schedule_and_counts_training_flops_at_the_density_of_each_step()
    {
        // T = 2 x 2 = 4 steps, t0 = 0, tf = 1 epoch = 2 steps, ΔT = 1: events after steps 1 (0 < 1 < 2) and 2 (= tf).
        // d_1 = 0.25 + 0.75 * (1 - 1/2)^3 = 0.34375 -> keep round(2.75) = 3 of 8; d_2 = d_f = 0.25 -> keep 2.
        using var model = TinyNets.Row(Weights);
        var options = new SparsityOptions { Method = SparsityMethodKind.Gmp, InitDensity = 1, FinalDensity = 0.25, UpdateInterval = 1, PruneStartEpoch = 0, PruneEndEpoch = 1 };
        var (updates, ready, controller) = Run(model, options, stepsPerEpoch: 2, epochs: 2);
        using (controller)
        {
            Assert.Equal([(0L, MaskUpdateKind.Initial, 8L), (1, MaskUpdateKind.Prune, 3), (2, MaskUpdateKind.Prune, 2)], updates.Select(u => (u.Step, u.Kind, u.Layers[0].Active)));
            Assert.Equal([0L, 5, 1], updates.Select(u => u.Layers[0].Removed));
            // A linear layer costs 2 * nnz(W) per sample. Step 1 runs at 8 active weights (16 FLOPs), step 2 at 3 (6),
            // steps 3 and 4 at 2 (4 each): 3 * (16 + 6 + 4 + 4) of dense 3 * 16 * 4 = 30 / 64.
            Assert.Equal(30.0 / 64, controller.TrainingFlopsRelative, 12);
            Assert.Equal(4.0 / 16, controller.InferenceFlopsRelative, 12);
            // The best epoch is chosen only once pruning has ended (after step tf = 2).
            Assert.Equal([false, false, true, true, true], ready);
        }
    }

    [Fact]
    public void Granet_prunes_from_t0_to_tf_then_regenerates_after_each_prune_until_the_end_at_the_cosine_rate()
    {
        // T = 8 steps (2 per epoch x 4), t0 = 1 epoch = 2, tf = 2 epochs = 4, ΔT = 1.
        // Prune after 3 (2 < 3 < 4) and 4 (= tf); regenerate after every t > t0 = 2 up to T = 8, each right after that step's prune
        // (in the other order the weights just grown at 0 would be the first pruned).
        using var model = TinyNets.Row(Weights);
        var options = new SparsityOptions { Method = SparsityMethodKind.GraNet, InitDensity = 1, FinalDensity = 0.25, UpdateInterval = 1, PruneStartEpoch = 1, PruneEndEpoch = 2 };
        var (updates, ready, controller) = Run(model, options, stepsPerEpoch: 2, epochs: 4);
        using (controller)
        {
            Assert.Equal(
                [
                    (0L, MaskUpdateKind.Initial), (3, MaskUpdateKind.Prune), (3, MaskUpdateKind.Regenerate), (4, MaskUpdateKind.Prune), (4, MaskUpdateKind.Regenerate),
                    (5, MaskUpdateKind.Regenerate), (6, MaskUpdateKind.Regenerate), (7, MaskUpdateKind.Regenerate), (8, MaskUpdateKind.Regenerate),
                ],
                updates.Select(u => (u.Step, u.Kind)));
            // d_3 = 0.25 + 0.75 * (1 - 1/2)^3 = 0.34375 -> round(2.75) = 3 active; d_4 = 0.25 -> 2; regeneration keeps the count.
            Assert.Equal([8L, 3, 3, 2, 2, 2, 2, 2, 2], updates.Select(u => u.Layers[0].Active));
            // r_t = 0.005 + 0.495 * (1 + cos(π t / 8)) / 2: t = 3: cos = 0.382683 -> 0.347214; t = 4: cos = 0 -> 0.2525;
            // t = 5: cos = -0.382683 -> 0.157786; t = 6: cos = -0.707107 -> 0.077491; t = 7: cos = -0.923880 -> 0.023840; t = 8: 0.005.
            double[] rates = updates.Where(u => u.Kind == MaskUpdateKind.Regenerate).Select(u => u.Rate!.Value).ToArray();
            double[] expected = [0.347214, 0.2525, 0.157786, 0.077491, 0.023840, 0.005];
            Assert.Equal(expected.Length, rates.Length);
            for (int i = 0; i < rates.Length; i++)
            {
                Assert.Equal(expected[i], rates[i], 6);
            }
            Assert.Equal([false, false, false, false, true, true, true, true, true], ready);
        }
    }

    [Theory]
    [InlineData(SparsityMethodKind.RigL, new[] { 0.481160, 0.427509, 0.347214, 0.2525 })]
    [InlineData(SparsityMethodKind.Set, new[] { 0.481160, 0.427509, 0.347214, 0.2525, 0.157786, 0.077491, 0.023840, 0.005 })]
    [InlineData(SparsityMethodKind.Snfs, new[] { 0.481160, 0.427509, 0.347214, 0.2525, 0.157786, 0.077491, 0.023840, 0.005 })]
    public void Dynamic_methods_regenerate_at_the_cosine_rate_of_the_whole_run(SparsityMethodKind method, double[] expected)
    {
        // T = 8 steps (2 per epoch x 4), ΔT = 1, rigl stops at 0.5 * 8 = 4. The cosine runs over the whole run's T = 8, also
        // for rigl, which stops halfway: r_t = 0.005 + 0.495 * (1 + cos(π t / 8)) / 2, t = 1: cos = 0.923880 -> 0.481160;
        // t = 2: cos = 0.707107 -> 0.427509; t = 3: 0.347214; t = 4: 0.2525; then (set, snfs) as in the granet test above.
        // Over rigl's 4 steps instead, t = 1 would give cos(π/4) -> 0.427509 and t = 4 the minimum 0.005.
        using var model = TinyNets.Row(Weights);
        var options = new SparsityOptions { Method = method, FinalDensity = 0.5, UpdateInterval = 1, RigLStopFraction = 0.5 };
        var (updates, _, controller) = Run(model, options, stepsPerEpoch: 2, epochs: 4);
        using (controller)
        {
            var regenerations = updates.Where(u => u.Kind == MaskUpdateKind.Regenerate).ToList();
            Assert.Equal(Enumerable.Range(1, expected.Length).Select(t => (long)t), regenerations.Select(u => u.Step));
            double[] rates = regenerations.Select(u => u.Rate!.Value).ToArray();
            for (int i = 0; i < rates.Length; i++)
            {
                Assert.Equal(expected[i], rates[i], 6);
            }
        }
    }

    [Fact]
    public void Snfs_grows_by_the_momentum_that_includes_the_step_of_the_event()
    {
        // One layer of 8 weights, masks set to positions 0-3 (w = 0.8, 0.1, 0.6, 0.7) with gradient 0 there, so they do not move.
        // T = 2 steps, ΔT = 2: one regeneration, after step 2, at r = r_min = 0.005 -> k = ceil(0.02) = 1: drop position 1 (0.1).
        // SGD momentum 0.9: after step 1 the buffer is g1, after step 2 it is 0.9 * g1 + g2.
        // g1 = 1, 0.8, 0, 0 and g2 = -1, 0, 0.5, 0.9 at positions 4-7: |0.9 * g1 + g2| = 0.1, 0.72, 0.5, 0.9 -> grow 7.
        // A buffer one step stale (g1 alone, without step 2's gradient) would grow position 4 (1.0).
        // The controller's own random initial mask zeroed some of them, so the weights are set again after the mask.
        using var model = TinyNets.Row(new float[8]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.01, 0.9);
        var options = new SparsityOptions { Method = SparsityMethodKind.Snfs, FinalDensity = 0.5, UpdateInterval = 2 };
        using var controller = SparsityController.Create(model, optimizer, options, stepsPerEpoch: 2, epochs: 1, [8], seed: 1);
        var layer = controller.Masks.Layers[0];
        using (var m = tensor(new[] { true, true, true, true, false, false, false, false }).reshape(1, 8))
        using (var w = tensor(new[] { 0.8f, 0.1f, 0.6f, 0.7f, 0f, 0f, 0f, 0f }).reshape(1, 8))
        using (no_grad())
        {
            layer.SetMask(m);
            layer.Weight.copy_(w);
        }
        controller.Masks.Apply();
        float[][] gradients = [[0f, 0f, 0f, 0f, 1f, 0.8f, 0f, 0f], [0f, 0f, 0f, 0f, -1f, 0f, 0.5f, 0.9f]];
        for (int step = 1; step <= 2; step++)
        {
            optimizer.zero_grad();
            TinyNets.SetGradient(layer.Weight, gradients[step - 1]);
            optimizer.step();
            controller.AfterOptimizerStep(step);
        }
        Assert.Equal([true, false, true, true, false, false, false, true], TinyNets.Flat(layer.Mask));
        Assert.Equal([0.8f, 0f, 0.6f, 0.7f, 0f, 0f, 0f, 0f], TinyNets.Values(layer.Weight));
    }

    public static TheoryData<SparsityMethodKind, Type?, Type?, long, long> Table => new()
    {
        // method, pruner, growth score, regeneration window start and stop (T = 40, t0 = 4, rigl stops at floor(0.75 * 40) = 30)
        { SparsityMethodKind.GraNet, typeof(GlobalMagnitudePruner), typeof(GradientGrowth), 4, 40 },
        { SparsityMethodKind.GraNetUniform, typeof(LayerwiseMagnitudePruner), typeof(GradientGrowth), 4, 40 },
        { SparsityMethodKind.Gmp, typeof(GlobalMagnitudePruner), null, 0, 0 },
        { SparsityMethodKind.GmpUniform, typeof(LayerwiseMagnitudePruner), null, 0, 0 },
        { SparsityMethodKind.RigL, null, typeof(GradientGrowth), 0, 30 },
        { SparsityMethodKind.Set, null, typeof(RandomGrowth), 0, 40 },
        { SparsityMethodKind.Snfs, null, typeof(MomentumGrowth), 0, 40 },
        { SparsityMethodKind.Static, null, null, 0, 0 },
        { SparsityMethodKind.Dense, null, null, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_method_has_the_pieces_of_the_spec_table(SparsityMethodKind method, Type? pruner, Type? growth, long windowStart, long windowStop)
    {
        // Spec §5. 4 steps per epoch x 10 epochs; pruning methods from epoch 1 (step 4) to 5 (step 20), d_i = 0.5.
        using var model = nn.Sequential(("fc1", nn.Linear(16, 32)), ("fc2", nn.Linear(32, 4)));
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1);
        var options = new SparsityOptions { Method = method, InitDensity = 0.5, FinalDensity = 0.25, PruneStartEpoch = 1, PruneEndEpoch = 5, ClassifierRule = false, UpdateInterval = 5 };
        using var controller = SparsityController.Create(model, optimizer, options, 4, 10, [16]);
        var plan = controller.Method;
        Assert.Equal(pruner, plan.Pruner?.GetType());
        Assert.Equal(pruner is not null, plan.Schedule is not null);
        Assert.Equal(growth, plan.Regenerator?.Growth.GetType());
        if (growth is not null)
        {
            Assert.Equal((windowStart, windowStop), (plan.Window!.StartStep, plan.Window.StopStep));
        }
        else
        {
            Assert.Null(plan.Window);
        }
        // Start: d_i for granet, d_f for the sparse-from-the-start methods, dense for dense. (gmp is not pinned here: the
        // spec table starts it dense, the options let it start at d_i < 1.)
        if (method is not (SparsityMethodKind.Gmp or SparsityMethodKind.GmpUniform))
        {
            double start = method == SparsityMethodKind.Dense ? 1 : pruner is not null ? 0.5 : 0.25;
            Assert.Equal(start, controller.Density, 2);
        }
        Assert.Equal(method != SparsityMethodKind.Dense, plan.MasksWeights);
    }
}
