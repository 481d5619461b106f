using GraNet.Sparsity;
using GraNet.Sparsity.Masks;
using GraNet.Training.Optimizers;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>Runs every method for a few epochs on random data with a tiny MLP and checks the invariants after every step.</summary>
public class SparsityControllerTests
{
    private const int StepsPerEpoch = 4;
    private const int Epochs = 6;

    public static TheoryData<SparsityMethodKind> Methods => new(Enum.GetValues<SparsityMethodKind>());

    /// <summary>The methods that mask weights: all but dense, whose masks have no inactive position to check.</summary>
    public static TheoryData<SparsityMethodKind> MaskingMethods => new(Enum.GetValues<SparsityMethodKind>().Where(m => m != SparsityMethodKind.Dense));

    private static SparsityOptions OptionsFor(SparsityMethodKind method) => new()
    {
        Method = method,
        InitDensity = method is SparsityMethodKind.GraNet or SparsityMethodKind.GraNetUniform ? 0.5 : 1.0,
        FinalDensity = 0.1,
        UpdateInterval = 2,
        PruneStartEpoch = 0,
        PruneEndEpoch = 4,
        RigLStopFraction = 1,
    };

    private static Sequential Mlp()
    {
        manual_seed(3);
        return nn.Sequential(("fc1", nn.Linear(16, 32)), ("relu", nn.ReLU()), ("fc2", nn.Linear(32, 24)), ("relu2", nn.ReLU()), ("fc3", nn.Linear(24, 4)));
    }

    private sealed record Trace(List<MaskUpdate> Updates, List<bool[]> MasksPerStep, double Density, double TrainingFlops, double InferenceFlops, double EverActive);

    /// <summary>Trains <see cref="Mlp"/> on random data under a controller made with <paramref name="seed"/>; <paramref name="globalSeed"/> reseeds torch's global generator just before the controller is made.</summary>
    private static Trace Run(SparsityOptions options, Action<SparsityController, long>? check = null, Func<IEnumerable<Parameter>, OptimizerHelper>? optimizerFor = null, int seed = 11, long? globalSeed = null)
    {
        using var model = Mlp();
        using var optimizer = optimizerFor?.Invoke(model.parameters()) ?? new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 5e-4, true);
        if (globalSeed is { } global)
        {
            manual_seed(global);
        }
        using var controller = SparsityController.Create(model, optimizer, options, StepsPerEpoch, Epochs, [16], seed);
        var updates = new List<MaskUpdate>();
        controller.MaskUpdated += updates.Add;
        var perStep = new List<bool[]>();
        Train(model, optimizer, step =>
        {
            controller.AfterOptimizerStep(step);
            check?.Invoke(controller, step);
            perStep.Add(controller.Masks.Layers.SelectMany(l => TinyNets.Flat(l.Mask)).ToArray());
        });
        return new Trace(updates, perStep, controller.Density, controller.TrainingFlopsRelative, controller.InferenceFlopsRelative, controller.Masks.EverActiveFraction);
    }

    /// <summary>The optimizer's per-weight state of one parameter, read from its state dictionary directly (not through the code under test).</summary>
    private static Tensor[] StateOf(OptimizerHelper optimizer, int index) => optimizer.state_dict().State[index] switch
    {
        SGD.State sgd => [sgd.momentum_buffer!],
        Adam.State adam => [adam.exp_avg, adam.exp_avg_sq, adam.max_exp_avg_sq!],
        var other => throw new InvalidOperationException($"unexpected optimizer state {other.GetType()}"),
    };

    private static void AssertInactiveWeightsAndStateAreZero(SparsityController controller)
    {
        var optimizer = (OptimizerHelper)controller.Masks.Optimizer!;
        foreach (var layer in controller.Masks.Layers)
        {
            using var inactive = layer.Mask.logical_not();
            using var weights = layer.Weight.detach().masked_select(inactive);
            Assert.Equal(0, weights.abs().sum().item<float>());
            var states = StateOf(optimizer, layer.OptimizerIndex);
            Assert.NotEmpty(states);
            foreach (var state in states)
            {
                using var leaked = state.masked_select(inactive);
                Assert.Equal(0, leaked.abs().sum().item<float>());
            }
        }
    }

    [Theory]
    [MemberData(nameof(MaskingMethods))]
    public void Masked_weights_and_their_momentum_are_zero_after_every_step(SparsityMethodKind method) =>
        Run(OptionsFor(method), (controller, _) => AssertInactiveWeightsAndStateAreZero(controller));

    [Theory]
    [InlineData(SparsityMethodKind.GraNet)]
    [InlineData(SparsityMethodKind.Snfs)]
    public void Masked_weights_and_all_three_adam_moments_are_zero_after_every_step(SparsityMethodKind method) =>
        Run(OptionsFor(method), (controller, _) => AssertInactiveWeightsAndStateAreZero(controller), p => new ScalarSafeAdam(p, 0.01, weightDecay: 5e-4, amsgrad: true));

    [Theory]
    [InlineData(SparsityMethodKind.GraNet)]
    [InlineData(SparsityMethodKind.Gmp)]
    public void Global_pruning_hits_the_scheduled_count_at_every_event_and_ends_exactly_at_the_final_density(SparsityMethodKind method)
    {
        var options = OptionsFor(method);
        var trace = Run(options);
        var schedule = new GraNet.Sparsity.Schedules.CubicPruningSchedule(0, 16, 2, options.InitDensity, options.FinalDensity);
        long total = (16 * 32) + (32 * 24) + (24 * 4);
        var prunes = trace.Updates.Where(u => u.Kind == MaskUpdateKind.Prune).ToList();
        Assert.Equal([2, 4, 6, 8, 10, 12, 14, 16], prunes.Select(u => u.Step).ToArray());
        foreach (var prune in prunes)
        {
            long expected = (long)Math.Round(schedule.DensityAt(prune.Step) * total, MidpointRounding.AwayFromZero);
            Assert.Equal(expected, prune.Layers.Sum(l => l.Active));
        }
        Assert.Equal(Math.Round(0.1 * total) / total, trace.Density, 12);
    }

    [Fact]
    public void Layerwise_pruning_from_a_sparse_erk_start_keeps_the_scheduled_count()
    {
        // ERK at 0.12 gives fc2 (768 weights) 0.092 < d_t from the first event on: it keeps its 70 active weights and
        // the other layers share what it lacks, so the model keeps round(d_t * N) in all at every event (± rounding of
        // the layers' shares), and ends at 0.1, not below.
        var options = OptionsFor(SparsityMethodKind.GraNetUniform) with { InitDensity = 0.12 };
        var trace = Run(options);
        var schedule = new GraNet.Sparsity.Schedules.CubicPruningSchedule(0, 16, 2, options.InitDensity, options.FinalDensity);
        long total = (16 * 32) + (32 * 24) + (24 * 4);
        var prunes = trace.Updates.Where(u => u.Kind == MaskUpdateKind.Prune).ToList();
        Assert.Equal(70, trace.Updates[0].Layers[1].Active);
        Assert.Equal(8, prunes.Count);
        foreach (var prune in prunes)
        {
            Assert.Equal(70, prune.Layers[1].Active);
            long expected = (long)Math.Round(schedule.DensityAt(prune.Step) * total, MidpointRounding.AwayFromZero);
            Assert.InRange(prune.Layers.Sum(l => l.Active), expected - 1, expected + 1);
        }
        Assert.InRange(trace.Density, (0.1 * total - 1) / total, (0.1 * total + 1) / total);
    }

    [Theory]
    [InlineData(SparsityMethodKind.GraNet)]
    [InlineData(SparsityMethodKind.GraNetUniform)]
    [InlineData(SparsityMethodKind.RigL)]
    [InlineData(SparsityMethodKind.Set)]
    [InlineData(SparsityMethodKind.Snfs)]
    public void Regeneration_keeps_every_layer_count_and_moves_connections(SparsityMethodKind method)
    {
        var trace = Run(OptionsFor(method));
        var regenerations = trace.Updates.Where(u => u.Kind == MaskUpdateKind.Regenerate).ToList();
        Assert.NotEmpty(regenerations);
        MaskUpdate? previous = null;
        foreach (var update in trace.Updates)
        {
            if (update.Kind == MaskUpdateKind.Regenerate && previous is not null)
            {
                Assert.Equal(previous.Layers.Select(l => l.Active), update.Layers.Select(l => l.Active));
                if (previous.Kind != MaskUpdateKind.Prune || previous.Step != update.Step)
                {
                    // The reported moves are the masks' difference between the previous step and this one.
                    bool[] before = trace.MasksPerStep[(int)update.Step - 2], after = trace.MasksPerStep[(int)update.Step - 1];
                    int offset = 0;
                    foreach (var layer in update.Layers)
                    {
                        var range = Enumerable.Range(offset, (int)layer.Count);
                        Assert.Equal(range.Count(i => after[i] && !before[i]), layer.Added);
                        Assert.Equal(range.Count(i => before[i] && !after[i]), layer.Removed);
                        offset += (int)layer.Count;
                    }
                }
            }
            previous = update;
        }
        // Every layer (none is dense or empty at the end) moves connections in some regeneration.
        Assert.All(Enumerable.Range(0, regenerations[0].Layers.Count), l => Assert.Contains(regenerations, u => u.Layers[l].Added > 0));
    }

    [Fact]
    public void Dynamic_methods_start_and_stay_at_the_final_density_and_explore_new_connections()
    {
        foreach (var method in new[] { SparsityMethodKind.RigL, SparsityMethodKind.Set, SparsityMethodKind.Snfs })
        {
            var trace = Run(OptionsFor(method));
            double initial = (double)trace.MasksPerStep[0].Count(b => b) / trace.MasksPerStep[0].Length;
            Assert.Equal(initial, trace.Density, 12);
            Assert.Equal(0.1, initial, 2);
            Assert.True(trace.EverActive > trace.Density, $"{method}: no connection was ever explored");
        }
    }

    [Fact]
    public void Static_masks_never_change()
    {
        var trace = Run(OptionsFor(SparsityMethodKind.Static));
        Assert.All(trace.MasksPerStep, m => Assert.Equal(trace.MasksPerStep[0], m));
        Assert.Equal(trace.Density, trace.EverActive, 12);
    }

    [Fact]
    public void Rigl_stops_updating_after_its_stop_fraction()
    {
        // T = 24, ΔT = 2, stop fraction 0.5625 (9/16, exact): updates only at steps t <= 0.5625 * 24 = 13.5, i.e. up to
        // floor(13.5) = 13, so the last is step 12. Step 14 (the ceiling, and the rounding, of 13.5) is past the fraction.
        var trace = Run(OptionsFor(SparsityMethodKind.RigL) with { RigLStopFraction = 0.5625 });
        var steps = trace.Updates.Where(u => u.Kind == MaskUpdateKind.Regenerate).Select(u => u.Step).ToArray();
        Assert.Equal([2, 4, 6, 8, 10, 12], steps);
    }

    [Fact]
    public void Dense_masks_nothing_and_costs_dense_flops()
    {
        // The controller must leave dense training alone: after every step the weights are those of the same training
        // (same model, data and optimizer) run without any controller.
        var plain = PlainWeightsPerStep();
        var trace = Run(OptionsFor(SparsityMethodKind.Dense), (controller, step) =>
        {
            Assert.All(controller.Masks.Layers, l => Assert.Equal(l.Count, l.ActiveCount));
            Assert.Equal(plain[(int)step - 1], controller.Masks.Layers.SelectMany(l => TinyNets.Values(l.Weight)).ToArray());
        });
        Assert.Equal(1, trace.Density);
        Assert.Equal(1, trace.TrainingFlops, 12);
        Assert.Equal(1, trace.InferenceFlops, 12);
    }

    /// <summary>The weights of fc1, fc2 and fc3 after each step of <see cref="Run"/>'s training without a controller.</summary>
    private static List<float[]> PlainWeightsPerStep()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 5e-4, true);
        var weights = model.named_parameters().Where(p => p.name.EndsWith(".weight", StringComparison.Ordinal)).Select(p => p.parameter).ToList();
        var perStep = new List<float[]>();
        Train(model, optimizer, _ => perStep.Add(weights.SelectMany(w => TinyNets.Values(w)).ToArray()));
        return perStep;
    }

    /// <summary>The training of <see cref="Run"/>: random batches from a fixed generator, <paramref name="afterStep"/> after each optimizer step.</summary>
    private static void Train(Sequential model, OptimizerHelper optimizer, Action<long> afterStep)
    {
        var generator = new Generator(9);
        for (long step = 1; step <= (long)StepsPerEpoch * Epochs; step++)
        {
            using var scope = NewDisposeScope();
            var x = randn([8, 16], generator: generator);
            var y = randint(0, 4, [8], generator: generator);
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
            afterStep(step);
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void The_same_seed_gives_the_same_masks(SparsityMethodKind method)
    {
        // torch's global generator is reseeded differently before each controller is made: the masks follow the controller's seed alone.
        var a = Run(OptionsFor(method), globalSeed: 100);
        var b = Run(OptionsFor(method), globalSeed: 200);
        Assert.Equal(a.MasksPerStep, b.MasksPerStep);
    }

    [Fact]
    public void Another_seed_gives_other_masks_from_the_initial_draw_and_from_random_growth()
    {
        // Static: only the initial random masks depend on the seed. Both runs see the same global generator state.
        var options = OptionsFor(SparsityMethodKind.Static);
        Assert.NotEqual(Run(options, seed: 11, globalSeed: 100).MasksPerStep[0], Run(options, seed: 12, globalSeed: 100).MasksPerStep[0]);
        // GraNet from dense with random growth: the initial masks are full and step 1 has no event, so the runs agree after it;
        // the first regeneration (step 2) grows by the seed's random scores, and the masks part.
        var growth = OptionsFor(SparsityMethodKind.GraNet) with { InitDensity = 1, Growth = GrowthKind.Random };
        var a = Run(growth, seed: 11, globalSeed: 100);
        var b = Run(growth, seed: 12, globalSeed: 100);
        Assert.Equal(a.MasksPerStep[0], b.MasksPerStep[0]);
        Assert.NotEqual(a.MasksPerStep[1], b.MasksPerStep[1]);
    }

    [Fact]
    public void Initial_erk_masks_activate_exact_counts()
    {
        // ERK at d = 0.1: fc1 32x16 (512 weights), p = 48/512; fc2 24x32 (768), p = 56/768; fc3 4x24 (96), p = 28/96.
        // eps = 0.1 * 1376 / (48 + 56 + 28) = 137.6 / 132 (no layer above 1: fc3 0.304), so layer l keeps
        // round(sum(shape_l) * 137.6 / 132): round(50.04) = 50, round(58.38) = 58, round(29.19) = 29.
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05);
        using var controller = SparsityController.Create(model, optimizer, OptionsFor(SparsityMethodKind.Static), StepsPerEpoch, Epochs, [16]);
        Assert.Equal([50L, 58, 29], controller.Masks.Layers.Select(l => l.ActiveCount));
    }

    [Theory]
    [InlineData(DistributionKind.ERK, new long[] { 363, 937, 15225, 5000 })]
    [InlineData(DistributionKind.ER, new long[] { 500, 10335, 7678, 3012 })]
    public void Initial_masks_of_lenet5_caffe_follow_the_chosen_distribution(DistributionKind distribution, long[] expected)
    {
        // LeNet-5-Caffe: conv1 20x1x5x5 (500 weights), conv2 50x20x5x5 (25,000), fc3 500x800 (400,000), fc4 10x500 (5,000);
        // d = 0.05 keeps 0.05 * 430,500 = 21,525 in all (spec §1).
        // ERK, p = sum(shape) / prod(shape): 31/500, 80/25000, 1300/400000, 510/5000. eps = 21525 / 1921 = 11.21 puts fc4 at
        // 1.14 > 1: fc4 dense (5,000); eps = 16525 / 1411, so conv1 keeps round(31 * 16525 / 1411) = round(363.06) = 363 (0.7261),
        // conv2 round(936.92) = 937 (0.0375), fc3 round(15225.02) = 15225 (0.0381): the spec's worked values.
        // ER, p = (n_in + n_out) / (n_in * n_out), kernel ignored: 21/20, 70/1000, 1300/400000, 510/5000. eps = 21525 / 4085 = 5.27
        // puts conv1 at 5.5 > 1: conv1 dense (500); eps = 21025 / 3560, so conv2 keeps round(1750 * 21025 / 3560) = round(10335.32),
        // fc3 round(1300 * 21025 / 3560) = round(7677.67), fc4 round(510 * 21025 / 3560) = round(3012.01).
        using var model = GraNet.Models.ModelRegistry.Create("lenet5-caffe", new GraNet.Data.ImageShape(1, 28, 28), 10);
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05);
        var options = new SparsityOptions { Method = SparsityMethodKind.Static, Distribution = distribution, FinalDensity = 0.05 };
        using var controller = SparsityController.Create(model, optimizer, options, StepsPerEpoch, Epochs, [1, 28, 28]);
        Assert.Equal(["conv1.weight", "conv2.weight", "fc3.weight", "fc4.weight"], controller.Masks.Layers.Select(l => l.Name));
        Assert.Equal(expected, controller.Masks.Layers.Select(l => l.ActiveCount));
        Assert.Equal(21525, controller.Masks.Active);
    }

    [Fact]
    public void Initial_masks_zero_the_inactive_weights_at_once_and_their_positions_are_drawn_from_the_seed()
    {
        bool[] MasksFor(int seed)
        {
            using var model = Mlp();
            using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05);
            using var controller = SparsityController.Create(model, optimizer, OptionsFor(SparsityMethodKind.Static), StepsPerEpoch, Epochs, [16], seed);
            foreach (var layer in controller.Masks.Layers)
            {
                using var inactive = layer.Mask.logical_not();
                using var weights = layer.Weight.detach().masked_select(inactive);
                Assert.NotEqual(0, weights.numel());
                Assert.Equal(0, weights.abs().sum().item<float>());
            }
            return controller.Masks.Layers.SelectMany(l => TinyNets.Flat(l.Mask)).ToArray();
        }
        bool[] a = MasksFor(1), b = MasksFor(2);
        Assert.Equal(a.Count(x => x), b.Count(x => x));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Dense_first_leaves_the_first_layer_unmasked()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05);
        using var controller = SparsityController.Create(model, optimizer, OptionsFor(SparsityMethodKind.Static) with { DenseFirstLayer = true }, StepsPerEpoch, Epochs, [16]);
        Assert.Equal(["fc2.weight", "fc3.weight"], controller.Masks.Layers.Select(l => l.Name).ToArray());
    }

    [Theory]
    [InlineData(1.2, 0.1, "SparsityOptions.InitDensity 1.2 must be in (0, 1].")]
    [InlineData(1.0, 0.0, "SparsityOptions.FinalDensity 0 must be in (0, 1].")]
    [InlineData(0.2, 0.5, "SparsityOptions.FinalDensity 0.5 must not exceed SparsityOptions.InitDensity 0.2 for a pruning method.")]
    public void Impossible_densities_are_refused_with_the_option_named(double init, double final, string message)
    {
        var options = new SparsityOptions { Method = SparsityMethodKind.GraNet, InitDensity = init, FinalDensity = final };
        Assert.Equal(message, Assert.Throws<OptionValueException>(() => options.Validate(20)).Message);
    }

    [Fact]
    public void Bad_schedules_are_refused()
    {
        var options = new SparsityOptions { Method = SparsityMethodKind.Gmp };
        string Refusal(SparsityOptions o) => Assert.Throws<OptionValueException>(() => o.Validate(20)).Message;
        Assert.Equal("SparsityOptions.PruneEndEpoch 3 must come after SparsityOptions.PruneStartEpoch 5.", Refusal(options with { PruneStartEpoch = 5, PruneEndEpoch = 3 }));
        Assert.Equal("SparsityOptions.PruneEndEpoch 30 must not exceed TrainingOptions.Epochs 20.", Refusal(options with { PruneEndEpoch = 30 }));
        Assert.Equal("SparsityOptions.UpdateInterval 0 must be at least 1 step.", Refusal(options with { UpdateInterval = 0 }));
        Assert.Equal("SparsityOptions.Growth random has no effect with SparsityOptions.Method gmp; drop it.", Refusal(options with { Growth = GrowthKind.Random }));
        // Values as a configuration file writes them: enums by their JSON names, bools in lower case.
        Assert.Equal("granet-uniform", OptionValueException.Format(SparsityMethodKind.GraNetUniform));
        Assert.Equal("true", OptionValueException.Format(true));
        Assert.Equal("0.5", OptionValueException.Format(0.5));
    }

    [Fact]
    public void Option_values_are_written_the_same_in_every_culture()
    {
        var culture = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            var options = new SparsityOptions { Method = SparsityMethodKind.Gmp, InitDensity = 0.5, FinalDensity = 0.75 };
            Assert.Equal("SparsityOptions.FinalDensity 0.75 must not exceed SparsityOptions.InitDensity 0.5 for a pruning method.",
                Assert.Throws<OptionValueException>(() => options.Validate(20)).Message);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public void A_model_without_maskable_layers_is_refused()
    {
        using var model = nn.Sequential(("relu", nn.ReLU()));
        var e = Assert.Throws<ArgumentException>(() => MaskSet.ForModel(model, null));
        Assert.Contains("no trainable convolution or linear layer", e.Message, StringComparison.Ordinal);
    }
}
