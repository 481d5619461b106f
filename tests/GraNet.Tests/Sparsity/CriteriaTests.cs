using GraNet.Sparsity;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

public class CriteriaTests
{
    [Fact]
    public void Exact_selection_breaks_ties_by_lower_index()
    {
        using var scores = tensor(new float[] { 1, 3, 2, 3, 3, 0 });
        using var top2 = ExactSelection.Largest(scores, 2);
        Assert.Equal([false, true, false, true, false, false], TinyNets.Flat(top2));
        using var low2 = ExactSelection.Smallest(scores, 2);
        Assert.Equal([true, false, false, false, false, true], TinyNets.Flat(low2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(6)]
    public void Exact_selection_returns_exactly_k_even_when_all_scores_tie(long k)
    {
        using var scores = zeros(6);
        using var chosen = ExactSelection.Largest(scores, k);
        Assert.Equal(k, TinyNets.Flat(chosen).Count(b => b));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => i < k).ToArray(), TinyNets.Flat(chosen));
    }

    [Theory]
    [InlineData(ScalarType.Float32)] // selection by RadixSelection
    [InlineData(ScalarType.Float64)] // selection by ExactSelection
    public void Global_pruning_keeps_the_largest_magnitudes_across_layers_with_ties_to_the_lower_position(ScalarType type)
    {
        // fc1 = [[0.5, -0.1], [0.3, 0.0]], fc2 = [[0.3, -0.7]]; density 0.5 of 6 -> keep 3:
        // 0.7 (fc2[1]), 0.5 (fc1[0]), then the tie 0.3 goes to fc1[2] (global position 2 before 4).
        using var model = TinyNets.TwoLayers([0.5f, -0.1f, 0.3f, 0f], [0.3f, -0.7f]);
        model.to(type);
        using var masks = MaskSet.ForModel(model, null);
        new GlobalMagnitudePruner().Prune(masks, 0.5);
        Assert.Equal([true, false, true, false], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([false, true], TinyNets.Flat(masks.Layers[1].Mask));
        Assert.Equal(3, masks.Active);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Global_pruning_prunes_already_pruned_weights_first_and_never_revives_them(ScalarType type)
    {
        using var model = TinyNets.TwoLayers([0.5f, -0.1f, 0.3f, 0.2f], [0.3f, -0.7f]);
        model.to(type);
        using var masks = MaskSet.ForModel(model, null);
        using (var m = tensor(new[] { false, true, true, true }))
        {
            masks.Layers[0].SetMask(m);
        }
        masks.Apply();
        new GlobalMagnitudePruner().Prune(masks, 4.0 / 6);
        // Active: 0.1, 0.3, 0.2, 0.3, 0.7 -> keep 4: 0.7, 0.3 (fc1[2]), 0.3 (fc2[0]), 0.2; 0.5 stays pruned.
        Assert.Equal([false, false, true, true], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([true, true], TinyNets.Flat(masks.Layers[1].Mask));
    }

    [Fact]
    public void Pruning_a_share_removes_round_share_times_active_of_the_smallest_magnitudes_over_all_layers()
    {
        // Active: fc1 1, -2, 3, 4 (all) and fc2 5, -0.5; half of 6 pruned: keep 5, 4, 3.
        using var model = TinyNets.TwoLayers([1f, -2f, 3f, 4f], [5f, -0.5f]);
        using var masks = MaskSet.ForModel(model, null);
        var pruner = new GlobalMagnitudePruner();
        Assert.Equal(3, pruner.PruneShare(masks, 0.5));
        Assert.Equal([false, false, true, true], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([true, false], TinyNets.Flat(masks.Layers[1].Mask));
        Assert.Equal([1f, -2f, 3f, 4f], TinyNets.Values(masks.Layers[0].Weight)); // the weights are the caller's to mask
        // A share of what is active now: 0.2 of 3 rounds to 1 (0.6 away from zero), the smallest of 3, 4, 5.
        Assert.Equal(1, pruner.PruneShare(masks, 0.2));
        Assert.Equal([false, false, false, true], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal(0, pruner.PruneShare(masks, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => pruner.PruneShare(masks, 1.5));

        // A half rounds up though (1 - 0.9) · 5 is 0.49999… in floating point: 0.9 of 5 active prunes 4, keeping 1.
        using var five = TinyNets.TwoLayers([1f, -2f, 3f, 4f], [5f, 0f]);
        using var fiveMasks = MaskSet.ForModel(five, null);
        using (var active = tensor(new[] { true, false }))
        {
            fiveMasks.Layers[1].SetMask(active);
        }
        Assert.Equal(4, pruner.PruneShare(fiveMasks, 0.9));
        Assert.Equal(1, fiveMasks.Active);
    }

    [Fact]
    public void Global_gradient_growth_takes_the_largest_gradients_among_inactive_positions_of_any_layer_at_zero()
    {
        using var model = TinyNets.TwoLayers([1f, -2f, 3f, 4f], [5f, -0.5f]);
        using var masks = MaskSet.ForModel(model, null);
        using (var first = tensor(new[] { false, false, true, true }))
        using (var second = tensor(new[] { true, false }))
        {
            masks.Layers[0].SetMask(first);
            masks.Layers[1].SetMask(second);
        }
        // Inactive: fc1[0] (|g| 0.1), fc1[1] (0.9), fc2[1] (0.5); the active fc1[2] has the largest gradient of all and is passed over.
        TinyNets.SetGradient(masks.Layers[0].Weight, [0.1f, -0.9f, 7f, 0f]);
        TinyNets.SetGradient(masks.Layers[1].Weight, [0f, 0.5f]);
        GlobalGradientGrowth.Grow(masks, 2);
        Assert.Equal([false, true, true, true], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([true, true], TinyNets.Flat(masks.Layers[1].Mask));
        // Grown weights start at 0; the others keep their values (fc1[0] was never masked in this test).
        Assert.Equal([1f, 0f, 3f, 4f], TinyNets.Values(masks.Layers[0].Weight));
        Assert.Equal([5f, 0f], TinyNets.Values(masks.Layers[1].Weight));
        GlobalGradientGrowth.Grow(masks, 10); // more than the one inactive position left: it grows
        Assert.Equal(6, masks.Active);

        foreach (var layer in masks.Layers)
        {
            layer.Weight.grad!.zero_();
        }
        using (var none = tensor(new[] { false, false, false, false }))
        {
            masks.Layers[0].SetMask(none);
        }
        Assert.Throws<NoGradientException>(() => GlobalGradientGrowth.Grow(masks, 1)); // no gradient to rank by
        Assert.Equal(2, masks.Active);
    }

    [Fact]
    public void Layerwise_targets_follow_the_classifier_rule_only_past_80_percent_sparsity()
    {
        var rule = new LayerwiseMagnitudePruner(classifierRule: true);
        // sizes 1000 and 100 at d = 0.1: last 0.2, others (0.1 * 1100 - 0.2 * 100) / 1000 = 0.09.
        Assert.Equal([0.09, 0.2], rule.TargetDensities([1000, 100], 0.1).Select(x => Math.Round(x, 12)).ToArray());
        Assert.Equal([0.3, 0.3], rule.TargetDensities([1000, 100], 0.3));
        Assert.Equal([0.1, 0.1], new LayerwiseMagnitudePruner(classifierRule: false).TargetDensities([1000, 100], 0.1));
    }

    [Fact]
    public void Layerwise_pruning_keeps_the_count_of_each_layer()
    {
        using var model = TinyNets.TwoLayers([0.5f, -0.1f, 0.3f, 0.05f], [0.3f, -0.7f]);
        using var masks = MaskSet.ForModel(model, null);
        new LayerwiseMagnitudePruner(classifierRule: false).Prune(masks, 0.5);
        Assert.Equal([true, false, true, false], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([false, true], TinyNets.Flat(masks.Layers[1].Mask));
    }

    [Fact]
    public void Layerwise_pruning_never_revives_a_pruned_weight_and_gives_what_a_layer_lacks_to_the_others()
    {
        // fc1 has 1 active weight of 4; at density 0.5 its target is round(0.5 * 4) = 2, but it keeps its 1 (position 1):
        // a pruned weight is never kept again. The model keeps 0.5 * 6 = 3 in all, so fc2 keeps the other 2 (both).
        using var model = TinyNets.TwoLayers([0.5f, -0.1f, 0.3f, 0.05f], [0.3f, -0.7f]);
        using var masks = MaskSet.ForModel(model, null);
        using (var m = tensor(new[] { false, true, false, false }))
        {
            masks.Layers[0].SetMask(m);
        }
        masks.Apply();
        new LayerwiseMagnitudePruner(classifierRule: false).Prune(masks, 0.5);
        Assert.Equal([false, true, false, false], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([true, true], TinyNets.Flat(masks.Layers[1].Mask));
    }

    [Fact]
    public void Layerwise_targets_share_what_capped_layers_lack()
    {
        var plain = new LayerwiseMagnitudePruner(classifierRule: false);
        // 10 and 10 weights, the first with 3 active, at 0.5: the first keeps its 3, the second 10 - 3 = 7.
        Assert.Equal([0.3, 0.7], plain.TargetDensities([10, 10], 0.5, [3, 10]).Select(x => Math.Round(x, 12)));
        // Three layers of 100 at 0.3 with 10, 100, 100 active: 90 - 10 = 80 over the two others, 40 each.
        Assert.Equal([0.1, 0.4, 0.4], plain.TargetDensities([100, 100, 100], 0.3, [10, 100, 100]).Select(x => Math.Round(x, 12)));
        // Nothing capped: every layer at d itself.
        Assert.Equal([0.3, 0.3, 0.3], plain.TargetDensities([100, 100, 100], 0.3, [40, 100, 30]));
        // Classifier rule with a classifier of 100 weights holding only 15 (< 0.2 * 100): it keeps its 15 and
        // fc1 (1000) the rest of 0.05 * 1100 = 55, i.e. 40; before, fc1 got (55 - 20) / 1000 and the model ended at 50.
        var rule = new LayerwiseMagnitudePruner(classifierRule: true);
        Assert.Equal([0.04, 0.15], rule.TargetDensities([1000, 100], 0.05, [150, 15]).Select(x => Math.Round(x, 12)));
    }

    [Fact]
    public void Under_the_classifier_rule_the_last_layer_takes_what_full_layers_cannot_hold()
    {
        // Sizes 20, 2, 10 with 0, 2 and 10 active, d = 0.2 (sparsity 0.8: the rule is on): 0.2 * 32 = 6.4 in all. The
        // classifier keeps 0.2 * 10 = 2; the other two share 4.4, but the first has nothing and the second only its 2, so
        // the classifier takes the 2.4 left: 4.4 of 10. Pruned: keep 0, 2 and round(4.4) = 4, 6 in all (it kept 2 before).
        var rule = new LayerwiseMagnitudePruner(classifierRule: true);
        Assert.Equal([0, 1, 0.44], rule.TargetDensities([20, 2, 10], 0.2, [0, 2, 10]).Select(x => Math.Round(x, 12)));
        // The second layer not full (2 of 4 active, a share of 4.4 / 4 capped at its 2): the classifier takes 4.4 - 2 too.
        Assert.Equal([0, 0.5, 0.44], rule.TargetDensities([20, 4, 10], 0.2 * 32 / 34, [0, 2, 10]).Select(x => Math.Round(x, 12)));
        // With room left in the other layers the classifier stays at 0.2, as before.
        Assert.Equal([0.1, 0.3, 0.2], rule.TargetDensities([100, 100, 100], 0.2, [10, 100, 100]).Select(x => Math.Round(x, 12)));
    }

    [Fact]
    public void Layerwise_pruning_keeps_an_active_zero_weight_over_a_pruned_one()
    {
        // Position 0 is pruned (0), position 1 active at exactly 0 (as a just-grown weight is). Density 0.75 keeps
        // round(0.75 * 4) = 3 = all active ones: 0.5, 0.3 and the active 0 at position 1, not the pruned 0 at position 0.
        using var layer = TinyNets.Row([0.9f, 0f, 0.5f, 0.3f]);
        using var masks = MaskSet.ForModel(layer, null);
        using (var m = tensor(new[] { false, true, true, true }).reshape(1, 4))
        {
            masks.Layers[0].SetMask(m);
        }
        masks.Apply();
        new LayerwiseMagnitudePruner(classifierRule: false).Prune(masks, 0.75);
        Assert.Equal([false, true, true, true], TinyNets.Flat(masks.Layers[0].Mask));
    }

    [Theory]
    [InlineData(ScalarType.Float32)] // selection by RadixSelection
    [InlineData(ScalarType.Float64)] // selection by ExactSelection
    public void Global_pruning_keeps_an_active_zero_weight_over_a_pruned_one(ScalarType type)
    {
        // fc1 = [0.9, 0, 0.5, 0] with position 0 pruned (so its weight is 0) and positions 1 and 3 active at exactly 0
        // (as just-grown weights are); fc2 = [0.3, -0.7], both active. Density 4/6 keeps round(4) = 4 of the 5 active:
        // 0.7, 0.5, 0.3, then one of the tied active zeros, fc1[1] (the lower position). The pruned zero at fc1[0],
        // lower still, must not take that place: only active weights compete.
        using var model = TinyNets.TwoLayers([0.9f, 0f, 0.5f, 0f], [0.3f, -0.7f]);
        model.to(type);
        using var masks = MaskSet.ForModel(model, null);
        using (var m = tensor(new[] { false, true, true, true }).reshape(2, 2))
        {
            masks.Layers[0].SetMask(m);
        }
        masks.Apply();
        new GlobalMagnitudePruner().Prune(masks, 4.0 / 6);
        Assert.Equal([false, true, true, false], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([true, true], TinyNets.Flat(masks.Layers[1].Mask));
    }

    [Fact]
    public void Layerwise_targets_apply_the_classifier_rule_at_exactly_80_percent_sparsity()
    {
        // d = 0.2: 1 - 0.2 is 0.8 exactly in doubles, so the rule (sparsity >= 0.8) is on. Three layers of 100 weights,
        // the first with only 10 active, overall budget 0.2 * 300 = 60.
        // Rule: the classifier keeps 0.2 * 100 = 20; the other two share 40 (0.2 each), but the first holds only 10,
        // so it keeps its 10 and the second takes the remaining 30: [0.1, 0.3, 0.2].
        // Without the rule, the 50 the first layer cannot take would be shared by the second and the classifier: [0.1, 0.25, 0.25].
        Assert.Equal(0.8, 1 - 0.2);
        var rule = new LayerwiseMagnitudePruner(classifierRule: true);
        Assert.Equal([0.1, 0.3, 0.2], rule.TargetDensities([100, 100, 100], 0.2, [10, 100, 100]).Select(x => Math.Round(x, 12)));
        Assert.Equal([0.1, 0.25, 0.25], new LayerwiseMagnitudePruner(classifierRule: false).TargetDensities([100, 100, 100], 0.2, [10, 100, 100]).Select(x => Math.Round(x, 12)));
    }

    [Fact]
    public void Keep_counts_round_a_half_away_from_zero()
    {
        // 0.25 and 0.5 are exact in binary, so d * N lands exactly on .5: 0.25 * 10 = 2.5 -> 3, 0.5 * 1 = 0.5 -> 1,
        // 0.25 * 6 = 1.5 -> 2 (banker's rounding would give 2, 0 and 2).
        Assert.Equal(3, MaskedLayer.KeepCount(0.25, 10));
        Assert.Equal(1, MaskedLayer.KeepCount(0.5, 1));
        Assert.Equal(2, MaskedLayer.KeepCount(0.25, 6));
        // 0.29 is not exact in binary: 0.29 * 50 is 14.499999999999998 in floating point, but d * N is 14.5, which keeps 15
        // (it kept 14, while the pruning share and the move count settled their products); the same for steps of an epoch.
        Assert.Equal(0.29 * 50 < 14.5, true);
        Assert.Equal(15, MaskedLayer.KeepCount(0.29, 50));
        Assert.Equal(15, new GraNet.Sparsity.Methods.StepPlan(50, 500, 0).StepOfEpoch(0.29));
        Assert.Equal((103, 104, 58000, 57999), (WholeCounts.Ceiling(103.00000000000004), WholeCounts.Ceiling(103.001), WholeCounts.Floor(0.58 * 100000), WholeCounts.Floor(57999.999)));
        // Through a pruner: 10 weights 1..10 at density 0.25 keep 3, the largest: 8, 9 and 10.
        using var layer = TinyNets.Row([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f]);
        using var masks = MaskSet.ForModel(layer, null);
        new GlobalMagnitudePruner().Prune(masks, 0.25);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i >= 7).ToArray(), TinyNets.Flat(masks.Layers[0].Mask));
    }

    [Fact]
    public void The_move_count_is_the_ceiling_of_the_exact_product()
    {
        // T = 3000, t = 2000: r = 0.005 + 0.495 * (1 + cos(2π/3)) / 2 = 0.12875 exactly, but cos(2π/3) comes out a last bit
        // above -0.5, so r * 800 = 103.00000000000004 in doubles; ceil of the exact product is 103, not 104.
        double rate = new GraNet.Sparsity.Schedules.CosineRegrowthRate(0.5, 0.005, 3000).RateAt(2000);
        Assert.True(rate * 800 > 103);
        Assert.Equal(103, Regenerator.MoveCount(rate, 800));
        Assert.Equal(104, Regenerator.MoveCount(0.1288, 800)); // 103.04
        Assert.Equal(2, Regenerator.MoveCount(0.2, 6)); // ceil(1.2)
        Assert.Equal(3, Regenerator.MoveCount(0.9, 3)); // ceil(2.7), at most the active count
    }

    [Fact]
    public void Regeneration_moves_ceil_of_the_rate_times_the_active_count_and_never_grows_an_active_position()
    {
        // Active 0, 1, 2, 4, 5, 6 (n = 6), rate 0.2 -> k = ceil(1.2) = 2 (round and floor would give 1).
        // Drop the two smallest active |w|: 1 (0.1) and 5 (0.2). Candidates are the inactive 1, 3, 5, 7 only, although the
        // active positions have by far the largest gradients (5): grow 7 (|-0.8|) and 3 (0.6).
        using var layer = TinyNets.Row([0.9f, 0.1f, 0.5f, 0f, 0.3f, -0.2f, 0.7f, 0f]);
        using var masks = MaskSet.ForModel(layer, null);
        using (var m = tensor(new[] { true, true, true, false, true, true, true, false }).reshape(1, 8))
        {
            masks.Layers[0].SetMask(m);
        }
        TinyNets.SetGradient(masks.Layers[0].Weight, [5f, 0.05f, 5f, 0.6f, 5f, 0.01f, 5f, -0.8f]);
        var updates = new Regenerator(new GradientGrowth()).Regenerate(masks, 0.2);
        Assert.Equal([true, false, true, true, true, false, true, true], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal(new LayerUpdate("fc.weight", 6, 8, 2, 2, 2), updates[0]);
    }

    [Fact]
    public void A_just_dropped_weight_grown_again_keeps_its_value_and_counts_as_moved_but_not_as_added()
    {
        // Active 0-3 (n = 4), rate 0.5 -> k = 2: drop the two smallest |w|, 1 (0.1) and 3 (-0.3); the large negative 2 (-0.5)
        // stays. Candidates 1, 3, 4, 5 with |gradient| 0.9, 0.01, 0.5, 0.2: grow 1 and 4. Position 1 comes back with its 0.1,
        // position 4 starts at 0; net change: 3 removed, 4 added (1 each); moved: k = 2.
        using var layer = TinyNets.Row([0.9f, 0.1f, -0.5f, -0.3f, 0f, 0f]);
        using var masks = MaskSet.ForModel(layer, null);
        using (var m = tensor(new[] { true, true, true, true, false, false }).reshape(1, 6))
        {
            masks.Layers[0].SetMask(m);
        }
        TinyNets.SetGradient(masks.Layers[0].Weight, [5f, 0.9f, 5f, -0.01f, -0.5f, 0.2f]);
        var updates = new Regenerator(new GradientGrowth()).Regenerate(masks, 0.5);
        Assert.Equal([true, true, true, false, true, false], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([0.9f, 0.1f, -0.5f, 0f, 0f, 0f], TinyNets.Values(masks.Layers[0].Weight));
        Assert.Equal(new LayerUpdate("fc.weight", 4, 6, 1, 1, 2), updates[0]);
    }

    [Fact]
    public void Grown_weights_and_their_momentum_start_at_zero_even_if_stale_values_were_left_there()
    {
        // One SGD step (lr 0.1, momentum 0.9) with gradient 1 everywhere: w = [0.7, 0.2, 0.5, 0.6], momentum buffer = [1, 1, 1, 1].
        // Then a mask [1, 1, 0, 0] is set without applying it, so positions 2 and 3 still hold a weight and momentum.
        // Rate 0.5, n = 2 -> k = 1: drop position 1 (0.2); grow the largest gradient among 1, 2, 3: position 3 (0.9).
        // Position 3 must start at weight 0 with momentum 0; the dropped 1 and the inactive 2 are zeroed too.
        using var layer = TinyNets.Row([0.8f, 0.3f, 0.6f, 0.7f]);
        var weight = layer.parameters().Single();
        using var optimizer = new GraNet.Training.Optimizers.ScalarSafeSgd(layer.parameters(), 0.1, 0.9);
        TinyNets.SetGradient(weight, [1f, 1f, 1f, 1f]);
        optimizer.step();
        using var masks = MaskSet.ForModel(layer, optimizer);
        using (var m = tensor(new[] { true, true, false, false }).reshape(1, 4))
        {
            masks.Layers[0].SetMask(m);
        }
        optimizer.zero_grad();
        TinyNets.SetGradient(weight, [0f, 0f, 0.5f, 0.9f]);

        new Regenerator(new GradientGrowth()).Regenerate(masks, 0.5);

        Assert.Equal([true, false, false, true], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal(0.7f, TinyNets.Values(weight)[0], 6);
        Assert.Equal([0f, 0f, 0f], TinyNets.Values(weight)[1..]);
        var momentum = ((TorchSharp.Modules.SGD.State)optimizer.state_dict().State[0]).momentum_buffer!;
        Assert.Equal([1f, 0f, 0f, 0f], TinyNets.Values(momentum));
    }

    [Fact]
    public void Gradient_regeneration_drops_the_smallest_and_grows_the_largest_gradients_at_zero()
    {
        // w = [0.9, 0.1, 0.5, 0, 0, 0, 0.2, 0], active at 0, 1, 2, 6 (n = 4); rate 0.5 -> k = 2.
        // drop the two smallest active |w|: positions 1 (0.1) and 6 (0.2);
        // grow the two largest |grad| among positions 1, 3, 4, 5, 6, 7: 4 (0.8) and 3 (0.3).
        using var layer = TinyNets.Row([0.9f, 0.1f, 0.5f, 0.4f, 0.6f, 0f, 0.2f, 0f]);
        using var masks = MaskSet.ForModel(layer, null);
        using (var m = tensor(new[] { true, true, true, false, false, false, true, false }).reshape(1, 8))
        {
            masks.Layers[0].SetMask(m);
        }
        masks.ResetEverActive();
        masks.Apply();
        TinyNets.SetGradient(masks.Layers[0].Weight, [0f, 0f, 0f, -0.3f, 0.8f, 0.1f, 0f, 0.05f]);

        var updates = new Regenerator(new GradientGrowth()).Regenerate(masks, 0.5);

        Assert.Equal([true, false, true, true, true, false, false, false], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([0.9f, 0f, 0.5f, 0f, 0f, 0f, 0f, 0f], TinyNets.Values(masks.Layers[0].Weight));
        Assert.Equal(4, masks.Layers[0].ActiveCount);
        Assert.Equal(2, updates[0].Added);
        Assert.Equal(2, updates[0].Removed);
        Assert.Equal(6.0 / 8, masks.EverActiveFraction);
    }

    [Fact]
    public void Regeneration_may_regrow_a_dropped_position_which_then_keeps_its_weight()
    {
        // Only one inactive position with a gradient smaller than the dropped one's: k = ceil(0.25 * 3) = 1.
        // Drop position 1 (|w| 0.1); candidates 1 (grad 0.9) and 3 (grad 0.2): 1 grows back and keeps 0.1.
        using var layer = TinyNets.Row([0.9f, 0.1f, 0.5f, 0f]);
        using var masks = MaskSet.ForModel(layer, null);
        using (var m = tensor(new[] { true, true, true, false }).reshape(1, 4))
        {
            masks.Layers[0].SetMask(m);
        }
        TinyNets.SetGradient(masks.Layers[0].Weight, [0f, 0.9f, 0f, 0.2f]);
        var updates = new Regenerator(new GradientGrowth()).Regenerate(masks, 0.25);
        Assert.Equal([true, true, true, false], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal(0.1f, TinyNets.Values(masks.Layers[0].Weight)[1]);
        Assert.Equal(0, updates[0].Added);
    }

    [Theory]
    [InlineData(ScalarType.Float32)] // drop chosen by RadixSelection
    [InlineData(ScalarType.Float64)] // drop chosen by ExactSelection
    public void Regeneration_drops_the_smallest_magnitude_not_the_most_negative_weight(ScalarType type)
    {
        // w = [-0.9, 0.2, 0.5, 0], active at 0, 1, 2 (n = 3); rate 0.25 -> k = ceil(0.75) = 1.
        // By |w| the smallest active is position 1 (0.2); by signed value it would be position 0 (-0.9), the largest weight.
        // Grow the largest |grad| among the inactive 1 and 3: 3 (0.6). So -0.9 stays and 0.2 goes: [1, 0, 1, 1].
        using var layer = TinyNets.Row([-0.9f, 0.2f, 0.5f, 0f]);
        layer.to(type);
        using var masks = MaskSet.ForModel(layer, null);
        using (var m = tensor(new[] { true, true, true, false }).reshape(1, 4))
        {
            masks.Layers[0].SetMask(m);
        }
        masks.Apply();
        TinyNets.SetGradient(masks.Layers[0].Weight, [0f, 0.1f, 0f, 0.6f]);
        new Regenerator(new GradientGrowth()).Regenerate(masks, 0.25);
        Assert.Equal([true, false, true, true], TinyNets.Flat(masks.Layers[0].Mask));
        using var weight = masks.Layers[0].Weight.detach().to(ScalarType.Float32);
        Assert.Equal([-0.9f, 0f, 0.5f, 0f], TinyNets.Values(weight));
    }

    [Fact]
    public void Momentum_growth_scores_a_dense_gradient_momentum_also_at_inactive_positions()
    {
        // SGD at momentum 0.9: m = 0.9 * g1 + g2 with g1 = [1, 2, ..., 8] and g2 = [-1, 0, ..., 0] -> |m| = [-0.1, 1.8, 2.7, ...].
        using var layer = TinyNets.Row([0.9f, 0.1f, 0.5f, 0.4f, 0.6f, 0f, 0.2f, 0f]);
        using var optimizer = new GraNet.Training.Optimizers.ScalarSafeSgd(layer.parameters(), 0.1, 0.9);
        using var masks = MaskSet.ForModel(layer, optimizer);
        using (var m = tensor(new[] { true, false, false, false, false, false, false, false }).reshape(1, 8))
        {
            masks.Layers[0].SetMask(m);
        }
        using var growth = new MomentumGrowth();
        var weight = masks.Layers[0].Weight;
        TinyNets.SetGradient(weight, [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f]);
        growth.AfterStep(masks);
        weight.grad!.zero_();
        TinyNets.SetGradient(weight, [-1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f]);
        growth.AfterStep(masks);
        using var score = growth.Score(masks.Layers[0], masks);
        float[] expected = [0.1f, 1.8f, 2.7f, 3.6f, 4.5f, 5.4f, 6.3f, 7.2f];
        var actual = TinyNets.Values(score);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(expected[i], actual[i], 5);
        }
    }

    [Fact]
    public void Momentum_growth_reloads_in_the_layer_shape_and_refuses_another_model()
    {
        using var net = TinyNets.TwoLayers([1, 2, 3, 4], [5, 6]);
        using var optimizer = new GraNet.Training.Optimizers.ScalarSafeSgd(net.parameters(), 0.1, 0.5);
        using var masks = MaskSet.ForModel(net, optimizer);
        using var growth = new MomentumGrowth();
        TinyNets.SetGradient(masks.Layers[0].Weight, [1f, -2f, 3f, -4f]);
        TinyNets.SetGradient(masks.Layers[1].Weight, [7f, 8f]);
        growth.AfterStep(masks);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            growth.Save(writer);
        }

        stream.Position = 0;
        using var loaded = new MomentumGrowth();
        using (var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            loaded.Load(reader, masks);
        }
        masks.Layers[0].Weight.grad!.zero_();
        TinyNets.SetGradient(masks.Layers[0].Weight, [2f, 2f, 2f, 2f]);
        loaded.AfterStep(masks);
        using var score = loaded.Score(masks.Layers[0], masks);
        Assert.Equal([2L, 2L], score.shape);
        Assert.Equal([2.5f, 1f, 3.5f, 0f], TinyNets.Values(score)); // |0.5·m + g| with m = (1, -2, 3, -4), g = 2

        using var other = TinyNets.Row([1, 2, 3, 4]);
        using var otherOptimizer = new GraNet.Training.Optimizers.ScalarSafeSgd(other.parameters(), 0.1, 0.5);
        using var otherMasks = MaskSet.ForModel(other, otherOptimizer);
        stream.Position = 0;
        using var reader2 = new BinaryReader(stream);
        var error = Assert.Throws<InvalidDataException>(() => new MomentumGrowth().Load(reader2, otherMasks));
        Assert.Contains("fc1.weight", error.Message);
        Assert.Contains("resume with the same model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_growth_is_repeatable_for_a_seed()
    {
        using var layer = TinyNets.Row([1, 2, 3, 4, 5, 6, 7, 8]);
        using var masks = MaskSet.ForModel(layer, null);
        using var a = new RandomGrowth(5);
        using var b = new RandomGrowth(5);
        using var c = new RandomGrowth(6);
        using var sa = a.Score(masks.Layers[0], masks);
        using var sb = b.Score(masks.Layers[0], masks);
        using var sc = c.Score(masks.Layers[0], masks);
        Assert.Equal(TinyNets.Values(sa), TinyNets.Values(sb));
        Assert.NotEqual(TinyNets.Values(sa), TinyNets.Values(sc));
    }

    [Fact]
    public void Random_growth_draws_new_scores_at_every_call_in_a_sequence_the_seed_repeats()
    {
        // A generator reseeded at every call would score every event the same, so SET would regrow the same positions each time.
        using var layer = TinyNets.Row([1, 2, 3, 4, 5, 6, 7, 8]);
        using var masks = MaskSet.ForModel(layer, null);
        using var a = new RandomGrowth(5);
        using var b = new RandomGrowth(5);
        using var a1 = a.Score(masks.Layers[0], masks);
        using var a2 = a.Score(masks.Layers[0], masks);
        using var b1 = b.Score(masks.Layers[0], masks);
        using var b2 = b.Score(masks.Layers[0], masks);
        Assert.NotEqual(TinyNets.Values(a1), TinyNets.Values(a2));
        Assert.Equal(TinyNets.Values(a1), TinyNets.Values(b1));
        Assert.Equal(TinyNets.Values(a2), TinyNets.Values(b2));
    }
}
