using GraNet.Sparsity;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Distribution;
using GraNet.Sparsity.Masks;
using GraNet.Sparsity.Methods;
using GraNet.Sparsity.Schedules;
using GraNet.Training;
using GraNet.Training.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>Methods of a caller's own: pieces of their own (growth score, schedule, pruner, rate) plugged into the controller.</summary>
public class CustomMethodTests
{
    /// <summary>Scores position i as −i: the lowest inactive index grows first.</summary>
    private sealed class LowestIndexFirst : IGrowthScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks) =>
            tensor(Enumerable.Range(0, (int)layer.Count).Select(i => -(float)i).ToArray()).reshape(layer.Shape);
    }

    /// <summary>Scores position i as i: the highest inactive index grows first.</summary>
    private sealed class HighestIndexFirst : IGrowthScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks) =>
            tensor(Enumerable.Range(0, (int)layer.Count).Select(i => (float)i).ToArray()).reshape(layer.Shape);
    }

    /// <summary>Drops the largest |w| first (the opposite of the spec's criterion, so that the two cannot be confused).</summary>
    private sealed class LargestFirst : IDropScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks) => layer.Weight.detach().abs().neg();
    }

    /// <summary>A score of the wrong size.</summary>
    private sealed class WrongSize : IGrowthScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks) => zeros(2);
    }

    /// <summary>The same scores at every event, in the layer's shape.</summary>
    private sealed class FixedGrowth(params float[] scores) : IGrowthScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks) => tensor(scores).reshape(layer.Shape).to_type(layer.Weight.dtype);
    }

    /// <summary>The same drop scores at every event, in the layer's shape.</summary>
    private sealed class FixedDrop(params float[] scores) : IDropScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks) => tensor(scores).reshape(layer.Shape).to_type(layer.Weight.dtype);
    }

    [Theory]
    [InlineData(ScalarType.Float32)] // selection by RadixSelection
    [InlineData(ScalarType.Float64)] // selection by ExactSelection
    public void Negative_and_positive_zero_scores_tie_and_the_lower_position_wins(ScalarType type)
    {
        // Growth: one layer of 3, position 0 active alone; rate 1 moves k = 1: position 0 drops, and of the scores -1, -0,
        // +0 the largest are the tied zeros: position 1 grows. (The radix keys ranked -0 below +0, growing position 2.)
        using var grow = TinyNets.Row([1f, 0f, 0f]);
        grow.to(type);
        using var growMasks = MaskSet.ForModel(grow, null);
        using (var m = tensor(new[] { true, false, false }).reshape(1, 3))
        {
            growMasks.Layers[0].SetMask(m);
        }
        new Regenerator(new FixedGrowth(-1f, -0f, 0f)).Regenerate(growMasks, 1.0);
        Assert.Equal([false, true, false], TinyNets.Flat(growMasks.Layers[0].Mask));

        // Drop: positions 0 and 1 active with drop scores +0 and -0, rate 0.5 moves k = 1: the tie drops position 0; position
        // 2 (growth score 5) grows.
        using var drop = TinyNets.Row([1f, 1f, 0f]);
        drop.to(type);
        using var dropMasks = MaskSet.ForModel(drop, null);
        using (var m = tensor(new[] { true, true, false }).reshape(1, 3))
        {
            dropMasks.Layers[0].SetMask(m);
        }
        new Regenerator(new FixedGrowth(0f, 0f, 5f), new FixedDrop(0f, -0f, 0f)).Regenerate(dropMasks, 0.5);
        Assert.Equal([false, true, true], TinyNets.Flat(dropMasks.Layers[0].Mask));
    }

    [Theory]
    [InlineData(ScalarType.Float32, float.NaN, "growth")]
    [InlineData(ScalarType.Float64, float.NaN, "growth")]
    [InlineData(ScalarType.Float32, float.PositiveInfinity, "growth")]
    [InlineData(ScalarType.Float32, float.NaN, "drop")]
    public void A_score_that_is_not_finite_is_refused_naming_the_layer(ScalarType type, float bad, string criterion)
    {
        // NaN has no place in an order: the radix path ranked it by its sign bit, the other path failed inside libtorch.
        using var layer = TinyNets.Row([1f, 2f, 0f, 0f]);
        layer.to(type);
        using var masks = MaskSet.ForModel(layer, null);
        using (var m = tensor(new[] { true, true, false, false }).reshape(1, 4))
        {
            masks.Layers[0].SetMask(m);
        }
        var regenerator = criterion == "growth"
            ? new Regenerator(new FixedGrowth(0f, 0f, bad, 1f))
            : new Regenerator(new FixedGrowth(0f, 0f, 0f, 1f), new FixedDrop(bad, 1f, 0f, 0f));
        var e = Assert.Throws<InvalidOperationException>(() => regenerator.Regenerate(masks, 0.5));
        Assert.StartsWith($"The {criterion} score of layer fc.weight has 1 NaN or infinite values; a score must be finite", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Per layer, in order, the scores given: the second layer's NaN is refused after the first layer regenerated.</summary>
    private sealed class PerLayerGrowth(params float[][] scores) : IGrowthScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks) => tensor(scores[masks.Layers.ToList().IndexOf(layer)]).reshape(layer.Shape);
    }

    [Fact]
    public void A_regeneration_refused_midway_leaves_no_weight_outside_the_masks()
    {
        // fc1 = [1, 2, 3, 0] with 1110 active, fc2 = [1, 0] with 10; rate 0.3. fc1 moves ceil(0.9) = 1: it drops the 1 at
        // position 0 and grows position 3 (score 5); then fc2's NaN score is refused. fc1's new mask 0111 must not keep
        // its dropped 1 (the masks were applied only at the end of a whole event).
        using var model = TinyNets.TwoLayers([1f, 2f, 3f, 0f], [1f, 0f]);
        using var masks = MaskSet.ForModel(model, null);
        using (var m = tensor(new[] { true, true, true, false }).reshape(2, 2))
        {
            masks.Layers[0].SetMask(m);
        }
        using (var m = tensor(new[] { true, false }).reshape(1, 2))
        {
            masks.Layers[1].SetMask(m);
        }
        var growth = new PerLayerGrowth([0f, 0f, 0f, 5f], [float.NaN, 0f]);
        Assert.Throws<InvalidOperationException>(() => new Regenerator(growth).Regenerate(masks, 0.3));
        Assert.Equal([false, true, true, true], TinyNets.Flat(masks.Layers[0].Mask));
        Assert.Equal([0f, 2f, 3f, 0f], TinyNets.Values(masks.Layers[0].Weight));
    }

    /// <summary>Linear from <c>from</c> to <c>to</c> between steps <c>start</c> and <c>end</c>, an event every <c>every</c> steps.</summary>
    private sealed class LinearSchedule(long start, long end, long every, double from, double to) : IPruningSchedule
    {
        public long StartStep => start;

        public long EndStep => end;

        public bool IsPruningStep(long step) => step > start && step <= end && step % every == 0;

        public double DensityAt(long step) => from + ((to - from) * Math.Clamp((double)(step - start) / (end - start), 0, 1));
    }

    /// <summary>Global magnitude pruning that records the densities it was asked for.</summary>
    private sealed class RecordingPruner : IPruner
    {
        public List<double> Densities { get; } = [];

        public void Prune(MaskSet masks, double density)
        {
            Densities.Add(density);
            new GlobalMagnitudePruner().Prune(masks, density);
        }
    }

    private sealed class ConstantRate(double rate) : IRegrowthRate
    {
        public double RateAt(long step) => rate;
    }

    private static readonly SparsityOptions Set = new() { Method = SparsityMethodKind.Set, Distribution = DistributionKind.Uniform, FinalDensity = 0.5, UpdateInterval = 1 };

    private static readonly SparsityOptions Gmp = new() { Method = SparsityMethodKind.Gmp, FinalDensity = 0.25, UpdateInterval = 2, PruneEndEpoch = 2 };

    [Fact]
    public void A_growth_score_of_ones_own_decides_what_grows()
    {
        using var model = TinyNets.Row([0.5f, 0.9f, 0.8f, 0.2f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        var updates = new List<MaskUpdate>();
        using var sparsity = SparsityController.Create(model, optimizer, Set, stepsPerEpoch: 2, epochs: 1, sampleShape: [4], maskUpdated: updates.Add,
            method: steps => SparsityMethodFactory.Create(Set, steps) with { Name = "set-lowest-index", Regenerator = new Regenerator(new LowestIndexFirst()) });
        var layer = sparsity.Masks.Layers[0];
        using (var mask = tensor(new[] { true, false, false, true }))
        using (var weights = tensor(new[] { 0.5f, 0f, 0f, 0.2f }))
        using (no_grad())
        {
            layer.SetMask(mask); // in place of the random initial mask
            layer.Weight.copy_(weights.reshape(1, 4));
        }

        // Step 1 of 2: rate 0.005 + 0.495 (1 + cos(π/2)) / 2 = 0.2525, so ceil(0.2525 · 2) = 1 moves: the active weight of
        // smallest |w| (index 3, 0.2) drops; of the inactive positions 1, 2, 3 the score −i ranks 1 first.
        sparsity.AfterOptimizerStep(1);

        Assert.Equal("set-lowest-index", sparsity.Method.Name);
        Assert.Equal([true, true, false, false], TinyNets.Flat(layer.Mask));
        Assert.Equal([0.5f, 0f, 0f, 0f], TinyNets.Values(layer.Weight));
        var regeneration = Assert.Single(updates, u => u.Kind == MaskUpdateKind.Regenerate);
        Assert.Equal(0.2525, regeneration.Rate!.Value, 12);
        Assert.Equal(new LayerUpdate("fc.weight", 2, 4, 1, 1, 1), Assert.Single(regeneration.Layers));
    }

    private static SparsityController SetOnRow(Sequential model, ScalarSafeSgd optimizer, Regenerator regenerator, bool[] mask, float[] weights)
    {
        var options = Set with { FinalDensity = 0.75 };
        var sparsity = SparsityController.Create(model, optimizer, options, stepsPerEpoch: 2, epochs: 1, sampleShape: [4],
            method: steps => SparsityMethodFactory.Create(options, steps) with { Name = "set-own", Regenerator = regenerator });
        var layer = sparsity.Masks.Layers[0];
        using (var m = tensor(mask))
        using (var w = tensor(weights))
        using (no_grad())
        {
            layer.SetMask(m); // in place of the random initial mask
            layer.Weight.copy_(w.reshape(1, 4));
        }
        return sparsity;
    }

    [Theory]
    [InlineData(false, new[] { true, false, true, true }, new[] { 0.5f, 0f, 0.8f, 0f })] // the spec's: the smallest |w|, index 1 (0.1)
    [InlineData(true, new[] { true, true, false, true }, new[] { 0.5f, -0.1f, 0f, 0f })] // largest first: index 2 (0.8)
    public void A_drop_score_of_ones_own_decides_what_drops(bool own, bool[] mask, float[] weights)
    {
        using var model = TinyNets.Row([0f, 0f, 0f, 0f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        // Step 1 of 2: rate 0.2525, ceil(0.2525 · 3) = 1 moves; growth ranks index 3 (inactive, score 3) above the just-dropped one.
        using var sparsity = SetOnRow(model, optimizer, new Regenerator(new HighestIndexFirst(), own ? new LargestFirst() : null), [true, true, true, false], [0.5f, -0.1f, 0.8f, 0f]);

        sparsity.AfterOptimizerStep(1);

        Assert.Equal(mask, TinyNets.Flat(sparsity.Masks.Layers[0].Mask));
        Assert.Equal(weights, TinyNets.Values(sparsity.Masks.Layers[0].Weight));
    }

    [Fact]
    public void A_score_not_shaped_like_the_layer_is_refused_naming_both_shapes()
    {
        using var model = TinyNets.Row([0f, 0f, 0f, 0f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        using var sparsity = SetOnRow(model, optimizer, new Regenerator(new WrongSize()), [true, true, true, false], [0.5f, -0.1f, 0.8f, 0f]);

        var e = Assert.Throws<InvalidOperationException>(() => sparsity.AfterOptimizerStep(1));

        Assert.Equal("The growth score of layer fc.weight has shape [2]; a score must be shaped like the layer's weight, [1, 4].", e.Message);
    }

    private static SparsityController LinearGmp(Sequential model, ScalarSafeSgd optimizer, RecordingPruner pruner) =>
        SparsityController.Create(model, optimizer, Gmp, stepsPerEpoch: 2, epochs: 3, sampleShape: [8],
            method: steps => SparsityMethodFactory.Create(Gmp, steps) with { Name = "gmp-linear", Schedule = new LinearSchedule(0, 4, 2, 1.0, 0.25), Pruner = pruner });

    [Fact]
    public void A_schedule_and_a_pruner_of_ones_own_set_when_and_how_far_to_prune()
    {
        using var model = TinyNets.Row([3f, -8f, 1f, 6f, -2f, 7f, 5f, -4f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        var pruner = new RecordingPruner();
        using var sparsity = LinearGmp(model, optimizer, pruner);
        var layer = sparsity.Masks.Layers[0];

        sparsity.AfterOptimizerStep(1);
        Assert.Empty(pruner.Densities);
        sparsity.AfterOptimizerStep(2); // 1 + (0.25 − 1) · 2/4 = 0.625: keep round(0.625 · 8) = 5, the |w| 8, 7, 6, 5, 4
        Assert.Equal([false, true, false, true, false, true, true, true], TinyNets.Flat(layer.Mask));
        sparsity.AfterOptimizerStep(3);
        sparsity.AfterOptimizerStep(4); // 0.25: keep 2, the |w| 8 and 7
        Assert.Equal([false, true, false, false, false, true, false, false], TinyNets.Flat(layer.Mask));
        sparsity.AfterOptimizerStep(5);
        sparsity.AfterOptimizerStep(6);

        Assert.Equal([0.625, 0.25], pruner.Densities);
        Assert.Equal(0.25, sparsity.Density);
        Assert.Equal(0.25, sparsity.Method.FinalDensity);
        Assert.Equal([0f, -8f, 0f, 0f, 0f, 7f, 0f, 0f], TinyNets.Values(layer.Weight));
        Assert.True(sparsity.ReadyForSelection); // after the schedule's own end step, 4
    }

    [Fact]
    public void A_state_saved_by_a_method_of_ones_own_loads_only_into_the_same_method()
    {
        using var stream = new MemoryStream();
        using (var model = TinyNets.Row([3f, -8f, 1f, 6f, -2f, 7f, 5f, -4f]))
        using (var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false))
        using (var sparsity = LinearGmp(model, optimizer, new RecordingPruner()))
        {
            sparsity.AfterOptimizerStep(1);
            sparsity.AfterOptimizerStep(2);
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            sparsity.Save(writer);
        }

        using (var model = TinyNets.Row([3f, -8f, 1f, 6f, -2f, 7f, 5f, -4f]))
        using (var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false))
        using (var sparsity = LinearGmp(model, optimizer, new RecordingPruner()))
        {
            stream.Position = 0;
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            sparsity.Load(reader);
            Assert.Equal(2, sparsity.Step);
            Assert.Equal([false, true, false, true, false, true, true, true], TinyNets.Flat(sparsity.Masks.Layers[0].Mask));
        }

        using (var model = TinyNets.Row([3f, -8f, 1f, 6f, -2f, 7f, 5f, -4f]))
        using (var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false))
        using (var builtIn = SparsityController.Create(model, optimizer, Gmp, 2, 3, [8]))
        {
            stream.Position = 0;
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            var e = Assert.Throws<InvalidDataException>(() => builtIn.Load(reader));
            Assert.Equal("The checkpoint was written by method gmp-linear, this run uses gmp; create the controller with the method that wrote it (for a method of your own, the same function as Create's method argument, making 'gmp-linear').", e.Message);
        }
    }

    public static TheoryData<string, string, string> Misfits => new()
    {
        { "no rate", "Sparsity method 'granet' has no Rate: regeneration needs a Window (when), a Rate (how many) and a Regenerator (which); give all three or none.", "Rate" },
        { "no pruner", "Sparsity method 'gmp' has a Schedule but no Pruner: pruning needs both (when, and which weights); give both or neither.", "Pruner" },
        { "no name", "A sparsity method needs a name (SparsityMethod.Name): Save records it, and Load accepts only a state of the same name.", "Name" },
        { "empty start", "Sparsity method 'static' has StartDensity 0; it must lie in (0, 1] (1: dense start).", "StartDensity" },
        { "dense that regrows", "Sparsity method 'dense' masks no weight (MasksWeights is false), so it cannot prune, regenerate or start sparse; leave out Schedule, Pruner, Window, Rate and Regenerator and keep StartDensity 1, or start from a method that masks.", "MasksWeights" },
        { "null", "The function given for the sparsity method returned null; return a SparsityMethod (e.g. SparsityMethodFactory.Create(options, steps) with { ... }).", "method" },
        { "window that never opens", "Sparsity method 'granet-sparse-windows' has a regeneration Window (every 50 steps after step 0, up to step 6) that holds no step of this run's 6, so it would not regenerate at all; start it earlier, end it later or shorten its interval.", "Window" },
    };

    [Theory]
    [MemberData(nameof(Misfits))]
    public void Pieces_that_do_not_make_a_method_are_refused_with_the_model_untouched(string misfit, string message, string parameter)
    {
        var options = new SparsityOptions { Method = SparsityMethodKind.GraNet, FinalDensity = 0.25, UpdateInterval = 2, PruneEndEpoch = 2 };
        Func<StepPlan, SparsityMethod> make = misfit switch
        {
            "no rate" => steps => SparsityMethodFactory.Create(options, steps) with { Rate = null },
            "no pruner" => steps => SparsityMethodFactory.Create(options with { Method = SparsityMethodKind.Gmp }, steps) with { Pruner = null },
            "no name" => steps => SparsityMethodFactory.Create(options, steps) with { Name = " " },
            "empty start" => steps => SparsityMethodFactory.Create(options with { Method = SparsityMethodKind.Static }, steps) with { StartDensity = 0 },
            "dense that regrows" => steps => new DenseMethod() with { Window = new UpdateWindow(2, 0, 6), Rate = new ConstantRate(0.3), Regenerator = new Regenerator(new GradientGrowth()) },
            "null" => _ => null!,
            _ => steps => SparsityMethodFactory.Create(options, steps) with { Name = "granet-sparse-windows", Window = new UpdateWindow(50, 0, steps.TotalSteps) },
        };
        AssertRefusedWithModelUntouched(options, make, message, parameter);
    }

    /// <summary>Create with <paramref name="make"/> throws <paramref name="message"/> naming <paramref name="parameter"/>, and the model's weights are as they were.</summary>
    private static void AssertRefusedWithModelUntouched(SparsityOptions options, Func<StepPlan, SparsityMethod> make, string message, string parameter)
    {
        float[] weights = [3f, -8f, 1f, 6f, -2f, 7f, 5f, -4f];
        using var model = TinyNets.Row(weights);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);

        var e = Assert.ThrowsAny<ArgumentException>(() => SparsityController.Create(model, optimizer, options, 2, 3, [8], method: make));

        Assert.Equal(message, e.Message.Split(" (Parameter")[0]);
        Assert.Equal(parameter, e.ParamName);
        Assert.Equal(weights, TinyNets.Values(model.parameters().Single()));
    }

    [Fact]
    public void A_rate_outside_0_to_1_is_refused_before_the_step_changes_anything()
    {
        var options = Set with { UpdateInterval = 2 };
        using var model = TinyNets.Row([0.5f, 0.9f, 0.8f, 0.2f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        using var sparsity = SparsityController.Create(model, optimizer, options, 2, 2, [4],
            method: steps => SparsityMethodFactory.Create(options, steps) with { Name = "set-too-fast", Rate = new ConstantRate(1.5), Regenerator = new Regenerator(new LowestIndexFirst()) });
        sparsity.AfterOptimizerStep(1);
        var before = TinyNets.Flat(sparsity.Masks.Layers[0].Mask);

        var e = Assert.Throws<InvalidOperationException>(() => sparsity.AfterOptimizerStep(2));

        Assert.Equal("The regrowth rate of method 'set-too-fast' at step 2 is 1.5; a Rate must give a share in [0, 1] of each layer's active weights.", e.Message);
        Assert.Equal(before, TinyNets.Flat(sparsity.Masks.Layers[0].Mask));
        Assert.Equal(1, sparsity.Step); // the step may be given again
    }

    [Fact]
    public void Pieces_of_ones_own_refuse_what_they_cannot_work_with_when_the_controller_is_attached()
    {
        // The same hooks the built-in pieces use (momentum growth, layer-wise pruning with the classifier rule): the run is
        // refused at Create, with the model untouched, not at its first event.
        AssertRefusedWithModelUntouched(Set, steps => SparsityMethodFactory.Create(Set, steps) with { Name = "set-picky", Regenerator = new Regenerator(new NeedsAdam()) },
            "This growth score follows Adam's moments; train with Adam.", "optimizer");
        AssertRefusedWithModelUntouched(Gmp, steps => SparsityMethodFactory.Create(Gmp, steps) with { Name = "gmp-coarse", Pruner = new KeepsWholeRows() },
            "This pruner keeps whole rows of 8 weights; a final density of 0.25 keeps 2 of 8 weights, not a whole row.", "finalDensity");
    }

    /// <summary>A growth score that works with Adam only, and says so when it is attached.</summary>
    private sealed class NeedsAdam : IGrowthScore
    {
        public void RequireSupported(MaskSet masks)
        {
            if (masks.Optimizer is not ScalarSafeAdam)
            {
                throw new ArgumentException("This growth score follows Adam's moments; train with Adam.", "optimizer");
            }
        }

        public Tensor Score(MaskedLayer layer, MaskSet masks) => zeros_like(layer.Weight);
    }

    /// <summary>A pruner that keeps whole rows (here: the one row of 8), and refuses a final density that is not one.</summary>
    private sealed class KeepsWholeRows : IPruner
    {
        public void RequireFeasible(MaskSet masks, double finalDensity)
        {
            long keep = MaskedLayer.KeepCount(finalDensity, masks.Total);
            if (keep % 8 != 0)
            {
                throw new ArgumentException(System.FormattableString.Invariant($"This pruner keeps whole rows of 8 weights; a final density of {finalDensity} keeps {keep} of {masks.Total} weights, not a whole row."), nameof(finalDensity));
            }
        }

        public void Prune(MaskSet masks, double density)
        {
        }
    }

    /// <summary>Fixed densities, whatever the shapes: for distributions that break the rules.</summary>
    private sealed class FixedDistribution(params double[] densities) : ILayerDensityDistribution
    {
        public double[] Densities(IReadOnlyList<long[]> shapes, double density) => densities;
    }

    /// <summary>Scores position i as i, flat (not shaped like the layer).</summary>
    private sealed class FlatHighestIndexFirst : IGrowthScore
    {
        public Tensor Score(MaskedLayer layer, MaskSet masks) => tensor(Enumerable.Range(0, (int)layer.Count).Select(i => (float)i).ToArray());
    }

    /// <summary>Given densities at given steps (its events), ending at the last.</summary>
    private sealed class StepsSchedule(long end, params (long Step, double Density)[] events) : IPruningSchedule
    {
        public long StartStep => 0;

        public long EndStep => end;

        public bool IsPruningStep(long step) => events.Any(e => e.Step == step);

        public double DensityAt(long step) => step <= 0 ? 1 : events.Where(e => e.Step <= step).Select(e => e.Density).DefaultIfEmpty(1).Last();
    }

    private static SparsityController Own(Sequential model, ScalarSafeSgd optimizer, Func<StepPlan, SparsityMethod> method, SparsityOptions? options = null) =>
        SparsityController.Create(model, optimizer, options ?? Gmp, stepsPerEpoch: 2, epochs: 3, sampleShape: [8], method: method);

    [Fact]
    public void A_method_built_from_pieces_alone_is_not_held_to_options_it_never_reads()
    {
        using var model = TinyNets.Row([3f, -8f, 1f, 6f, -2f, 7f, 5f, -4f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        var updates = new List<MaskUpdate>();
        var defaults = new SparsityOptions(); // PruneEndEpoch 10, beyond this 3-epoch run
        using var sparsity = SparsityController.Create(model, optimizer, defaults, 2, 3, [8], maskUpdated: updates.Add,
            method: steps => new SparsityMethod("set-constant")
            {
                StartDensity = 0.5,
                Window = new UpdateWindow(2, 0, steps.TotalSteps),
                Rate = new ConstantRate(0.25),
                Regenerator = new Regenerator(new HighestIndexFirst()),
            });
        for (long step = 1; step <= 6; step++)
        {
            sparsity.AfterOptimizerStep(step);
        }

        Assert.Equal([2L, 4, 6], updates.Where(u => u.Kind == MaskUpdateKind.Regenerate).Select(u => u.Step));
        Assert.All(updates.Where(u => u.Kind == MaskUpdateKind.Regenerate), u => Assert.Equal((0.25, 4L, 1L), (u.Rate!.Value, u.Layers[0].Active, u.Layers[0].Moved)));

        // A built-in method is still checked against the run, by the factory that reads the options.
        using var other = TinyNets.Row([3f, -8f, 1f, 6f, -2f, 7f, 5f, -4f]);
        using var otherOptimizer = new ScalarSafeSgd(other.parameters(), 0.1, 0, 0, 0, false);
        var e = Assert.Throws<OptionValueException>(() => Own(other, otherOptimizer, steps => SparsityMethodFactory.Create(defaults, steps) with { Name = "granet-mine" }, defaults));
        Assert.Equal("SparsityOptions.PruneEndEpoch 10 must not exceed the run's epochs 3.", e.Message);
    }

    public static TheoryData<string, string, string> Refusals => new()
    {
        { "built-in name", "A method of your own is named 'gmp', a built-in method's name; give it a name of its own (with { Name = \"gmp-mine\" }): Save records it, and Load accepts only a state of the same name.", "method" },
        { "start below the schedule", "Sparsity method 'gmp-from-0.3' has a Schedule from density 1 to 0.25, above its StartDensity 0.3: pruning cannot raise the density; start the schedule at the start density (a built-in method's schedule starts at SparsityOptions.InitDensity).", "Schedule" },
        { "schedule past the run", "Sparsity method 'gmp-long' has a Schedule ending at step 100, after this run's 6 steps, so the run would end above its final density 0.25; end the schedule within the run.", "Schedule" },
        { "no event at the end", "Sparsity method 'gmp-no-end' has a Schedule whose end step 5 is not a pruning step, so the run would not reach its final density 0.25; make IsPruningStep true at EndStep.", "Schedule" },
        { "too few densities", "The distribution of method 'static-mine' (FixedDistribution) gave 2 densities for 1 masked layers; give one per layer, in the order of MaskSet.Layers.", "Distribution" },
        { "density above 1", "The distribution of method 'static-mine' (FixedDistribution) gave layer fc.weight density 1.5; each layer's density must lie in (0, 1].", "Distribution" },
        { "densities off the start density", "The distribution of method 'static-mine' (FixedDistribution) gave densities of overall density 1, not the start density 0.5; they must add up to it (Σ d_l N_l = d N).", "Distribution" },
        { "global pruning to nothing", "Sparsity method 'gmp-to-nothing' ends at density 0.01 (its Schedule), which keeps no weight of the model's 8 (it rounds to 0 weights); make the schedule end higher.", "Schedule" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Pieces_that_break_the_rules_of_a_run_are_refused_naming_the_piece(string refusal, string message, string parameter)
    {
        var statics = Gmp with { Method = SparsityMethodKind.Static, FinalDensity = 0.5 };
        Func<StepPlan, SparsityMethod> make = refusal switch
        {
            "built-in name" => steps => SparsityMethodFactory.Create(Gmp, steps) with { Pruner = new RecordingPruner() },
            "start below the schedule" => steps => SparsityMethodFactory.Create(Gmp, steps) with { Name = "gmp-from-0.3", StartDensity = 0.3, Schedule = new LinearSchedule(0, 4, 2, 1.0, 0.25) },
            "schedule past the run" => steps => SparsityMethodFactory.Create(Gmp, steps) with { Name = "gmp-long", Schedule = new LinearSchedule(0, 100, 2, 1.0, 0.25) },
            "no event at the end" => steps => SparsityMethodFactory.Create(Gmp, steps) with { Name = "gmp-no-end", Schedule = new LinearSchedule(0, 5, 2, 1.0, 0.25) },
            "too few densities" => steps => SparsityMethodFactory.Create(statics, steps) with { Name = "static-mine", Distribution = new FixedDistribution(0.5, 0.5) },
            "density above 1" => steps => SparsityMethodFactory.Create(statics, steps) with { Name = "static-mine", Distribution = new FixedDistribution(1.5) },
            "densities off the start density" => steps => SparsityMethodFactory.Create(statics, steps) with { Name = "static-mine", Distribution = new FixedDistribution(1.0) },
            _ => steps => SparsityMethodFactory.Create(Gmp, steps) with { Name = "gmp-to-nothing", Schedule = new LinearSchedule(0, 4, 2, 1.0, 0.01) },
        };
        AssertRefusedWithModelUntouched(Gmp, make, message, parameter);
    }

    [Fact]
    public void A_schedule_density_outside_0_to_1_is_refused_before_the_step_changes_anything()
    {
        using var model = TinyNets.Row([3f, -8f, 1f, 6f, -2f, 7f, 5f, -4f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        using var sparsity = Own(model, optimizer, steps => SparsityMethodFactory.Create(Gmp, steps) with { Name = "gmp-nan", Schedule = new StepsSchedule(4, (2, double.NaN), (4, 0.25)) });
        sparsity.AfterOptimizerStep(1);

        var e = Assert.Throws<InvalidOperationException>(() => sparsity.AfterOptimizerStep(2));

        Assert.Equal("The pruning schedule of method 'gmp-nan' asks for density NaN at step 2; a Schedule must give a density in (0, 1].", e.Message);
        Assert.Equal(1.0, sparsity.Density);
        Assert.Equal(1, sparsity.Step);
    }

    [Fact]
    public void Pruning_never_brings_a_weight_back_when_a_schedule_rises()
    {
        using var model = TinyNets.Row([3f, -8f, 1f, 6f, -2f, 7f, 5f, -4f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        using var sparsity = Own(model, optimizer, steps => SparsityMethodFactory.Create(Gmp, steps) with { Name = "gmp-up-again", Schedule = new StepsSchedule(4, (2, 0.25), (4, 0.5)) });
        for (long step = 1; step <= 4; step++)
        {
            sparsity.AfterOptimizerStep(step);
        }

        // 0.25 keeps the |w| 8 and 7; 0.5 would keep 4, but only those 2 are active: they stay, nothing comes back.
        Assert.Equal([false, true, false, false, false, true, false, false], TinyNets.Flat(sparsity.Masks.Layers[0].Mask));
    }

    [Fact]
    public void A_flat_score_of_the_layers_size_is_taken_in_the_layers_shape()
    {
        using var model = TinyNets.Row([0f, 0f, 0f, 0f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        using var sparsity = SetOnRow(model, optimizer, new Regenerator(new FlatHighestIndexFirst()), [true, true, true, false], [0.5f, -0.1f, 0.8f, 0f]);

        sparsity.AfterOptimizerStep(1);

        Assert.Equal([true, false, true, true], TinyNets.Flat(sparsity.Masks.Layers[0].Mask));
    }

    [Fact]
    public void A_trainer_hook_takes_a_method_of_ones_own_too()
    {
        var pruner = new RecordingPruner();
        using var model = TinyNets.Row([3f, -8f, 1f, 6f, -2f, 7f, 5f, -4f]);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0, 0, 0, false);
        using var hook = new SparsityController(Gmp, steps => SparsityMethodFactory.Create(Gmp, steps) with { Name = "gmp-linear", Schedule = new LinearSchedule(0, 4, 2, 1.0, 0.25), Pruner = pruner });

        hook.Attach(new TrainingContext(model, optimizer, StepsPerEpoch: 2, TotalSteps: 6, Epochs: 3, Seed: 0, SampleShape: [8]));
        for (long step = 1; step <= 6; step++)
        {
            hook.AfterOptimizerStep(step);
        }

        Assert.Equal("gmp-linear", hook.Method.Name);
        Assert.Equal([0.625, 0.25], pruner.Densities);
        Assert.Equal(0.25, hook.Density);
    }
}
