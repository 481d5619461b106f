using GraNet.Sparsity;
using GraNet.Sparsity.Flops;
using GraNet.Sparsity.Masks;
using GraNet.Training;
using GraNet.Training.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>The library used in ways its own trainer never does: each misuse is refused clearly, and unusual models are handled exactly.</summary>
public class ControllerMisuseTests
{
    private static readonly SparsityOptions Gmp = new() { Method = SparsityMethodKind.Gmp, FinalDensity = 0.1, UpdateInterval = 2, PruneEndEpoch = 2 };

    private static Sequential Mlp()
    {
        manual_seed(3);
        return nn.Sequential(("fc1", nn.Linear(16, 32)), ("relu", nn.ReLU()), ("fc2", nn.Linear(32, 4)));
    }

    private static void Step(Sequential model, ScalarSafeSgd optimizer)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        nn.functional.cross_entropy(model.call(randn(8, 16)), randint(0, 4, [8])).backward();
        optimizer.step();
    }

    [Fact]
    public void Steps_must_be_counted_over_the_run_not_restarted_per_epoch()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        using var controller = SparsityController.Create(model, optimizer, Gmp, 4, 3, [16]);
        Step(model, optimizer);
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => controller.AfterOptimizerStep(0));
        Assert.StartsWith("Step 0 is not a step number: steps count from 1; call after every optimizer step", zero.Message, StringComparison.Ordinal);
        var late = Assert.Throws<ArgumentOutOfRangeException>(() => controller.AfterOptimizerStep(5));
        Assert.StartsWith("Step 5 was given as the first step, which is 1; call after every optimizer step", late.Message, StringComparison.Ordinal);
        Assert.Equal(0, controller.Step);
        controller.AfterOptimizerStep(1);
        for (long step = 2; step <= 4; step++)
        {
            Step(model, optimizer);
            controller.AfterOptimizerStep(step);
        }
        Step(model, optimizer);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => controller.AfterOptimizerStep(1));
        Assert.StartsWith("Step 1 does not follow step 4; call after every optimizer step, numbered over the whole run", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => controller.AfterOptimizerStep(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => controller.AfterOptimizerStep(6)); // a skipped step would skip its events
        controller.AfterOptimizerStep(5);
    }

    [Fact]
    public void A_controller_not_attached_says_so_when_stepped_and_a_refused_attach_leaves_it_free_to_attach()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        using var controller = new SparsityController(Gmp);
        var early = Assert.Throws<InvalidOperationException>(() => controller.AfterOptimizerStep(1));
        Assert.Equal("The controller is not attached to a model yet.", early.Message);
        // A sample of the wrong shape: refused with the model untouched, and the controller attaches again.
        Assert.ThrowsAny<ArgumentException>(() => controller.Attach(new TrainingContext(model, optimizer, 4, 12, 3, 0, [15])));
        Assert.Throws<InvalidOperationException>(() => controller.Density);
        controller.Attach(new TrainingContext(model, optimizer, 4, 12, 3, 0, [16]));
        Assert.Equal(1.0, controller.Density); // gmp starts dense
        Step(model, optimizer);
        controller.AfterOptimizerStep(1);
        // Attached: a second attach is refused and leaves this one as it is.
        Assert.Throws<InvalidOperationException>(() => controller.Attach(new TrainingContext(model, optimizer, 4, 12, 3, 0, [16])));
        Assert.Equal(1, controller.Step);
        Assert.Equal(1.0, controller.Density);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(100)]
    public void A_context_whose_total_steps_are_not_its_epochs_steps_is_refused_before_anything_changes(long totalSteps)
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        using var controller = new SparsityController(Gmp);
        var e = Assert.Throws<ArgumentException>(() => controller.Attach(new TrainingContext(model, optimizer, 4, totalSteps, 3, 0, [16])));
        Assert.StartsWith($"TrainingContext.TotalSteps is {totalSteps}, but 3 epochs of 4 steps make 12: give StepsPerEpoch × Epochs, the run's optimizer steps.", e.Message, StringComparison.Ordinal);
        // Free to attach with a context that fits.
        controller.Attach(new TrainingContext(model, optimizer, 4, 12, 3, 0, [16]));
        Assert.Equal(12, controller.TotalSteps);
        // Attached (or disposed), it says so first, whatever the context.
        Assert.Throws<InvalidOperationException>(() => controller.Attach(new TrainingContext(model, optimizer, 4, totalSteps, 3, 0, [16])));
        controller.Dispose();
        Assert.Throws<ObjectDisposedException>(() => controller.Attach(new TrainingContext(model, optimizer, 4, totalSteps, 3, 0, [16])));
    }

    [Fact]
    public void A_mask_set_by_hand_must_be_boolean_and_of_the_weight_s_size_and_counts_in_the_flops_at_once()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        var options = new SparsityOptions { Method = SparsityMethodKind.Static, FinalDensity = 0.5, Distribution = DistributionKind.Uniform };
        using var controller = SparsityController.Create(model, optimizer, options, 4, 3, [16]);
        var fc1 = controller.Masks.Layers[0];
        var wrongType = Assert.Throws<ArgumentException>(() => fc1.SetMask(rand(512)));
        Assert.StartsWith("The mask for fc1.weight is Float32; a mask is boolean (true: active)", wrongType.Message, StringComparison.Ordinal);
        var wrongSize = Assert.Throws<ArgumentException>(() => fc1.SetMask(ones(10, dtype: ScalarType.Bool)));
        Assert.StartsWith("The mask for fc1.weight has 10 entries, shape [10]; the weight has 512, shape [32, 16].", wrongSize.Message, StringComparison.Ordinal);
        Assert.Equal(256, fc1.ActiveCount);
        // Uniform at 0.5: fc1 256 of 512, fc2 64 of 128 active; forward FLOPs 2·(256 + 64) of dense 2·(512 + 128).
        Assert.Equal(0.5, controller.InferenceFlopsRelative, 12);
        fc1.SetMask(ones(32, 16, dtype: ScalarType.Bool));
        Assert.Equal((512 + 64) / 640.0, controller.InferenceFlopsRelative, 12);
        Step(model, optimizer);
        controller.AfterOptimizerStep(1);
        Assert.Equal((512 + 64) / 640.0, controller.TrainingFlopsRelative, 12);
    }

    [Fact]
    public void A_model_with_nothing_to_mask_is_named_by_its_dotnet_type_not_libtorch_s_class()
    {
        using var model = nn.Sequential(("relu", nn.ReLU()));
        using var optimizer = new ScalarSafeSgd([new Parameter(zeros(3, 3))], 0.05, 0.9, 0, 0, false);
        var e = Assert.Throws<ArgumentException>(() => SparsityController.Create(model, optimizer, Gmp, 4, 3, [16]));
        Assert.StartsWith("Model 'Sequential' has no trainable convolution or linear layer to mask", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_subscriber_given_to_create_sees_the_initial_masks()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        var updates = new List<MaskUpdate>();
        using var controller = SparsityController.Create(model, optimizer, Gmp with { Method = SparsityMethodKind.Static }, 4, 3, [16], maskUpdated: updates.Add);
        var initial = Assert.Single(updates);
        Assert.Equal(MaskUpdateKind.Initial, initial.Kind);
        Assert.Equal(Math.Round(0.1 * ((16 * 32) + (32 * 4))) / ((16 * 32) + (32 * 4)), initial.Density, 12);
    }

    [Fact]
    public void A_disposed_or_twice_attached_controller_says_so()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        var controller = SparsityController.Create(model, optimizer, Gmp, 4, 3, [16]);
        var context = new GraNet.Training.TrainingContext(model, optimizer, 4, 12, 3, 0, [16]);
        Assert.Contains("attached to a model already", Assert.Throws<InvalidOperationException>(() => controller.Attach(context)).Message, StringComparison.Ordinal);
        controller.Dispose();
        Assert.Throws<ObjectDisposedException>(() => controller.AfterOptimizerStep(1));
        Assert.Throws<ObjectDisposedException>(() => controller.Masks);
        Assert.Throws<ObjectDisposedException>(() => controller.Method); // its pieces hold the disposed masks' growth state
    }

    [Fact]
    public void Masks_whose_model_was_disposed_say_so_naming_the_weight_when_applied_directly()
    {
        // Before: Masks.Apply() called by itself (not through AfterOptimizerStep, which checked) gave libtorch's "Tensor invalid".
        var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        using var controller = SparsityController.Create(model, optimizer, Gmp, 4, 3, [16]);
        var masks = controller.Masks;
        masks.Apply();
        model.Dispose();
        var e = Assert.Throws<InvalidOperationException>(masks.Apply);
        Assert.StartsWith("The weight of fc1.weight is gone: the model's parameters were replaced or disposed after the controller was created", e.Message, StringComparison.Ordinal);
        Assert.Equal(e.Message, Assert.Throws<InvalidOperationException>(() => controller.AfterOptimizerStep(1)).Message);
    }

    [Fact]
    public void An_optimizer_that_does_not_train_the_model_is_refused_naming_the_weight()
    {
        using var model = Mlp();
        using var other = Mlp();
        using var optimizer = new ScalarSafeSgd(other.parameters(), 0.05, 0.9, 0, 0, false);
        var e = Assert.Throws<ArgumentException>(() => SparsityController.Create(model, optimizer, Gmp, 4, 3, [16]));
        Assert.StartsWith("The optimizer does not hold fc1.weight;", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => SparsityController.Create(model, null!, Gmp, 4, 3, [16]));
    }

    [Fact]
    public void Frozen_weights_stay_dense_and_shared_weights_are_masked_once_and_counted_per_call()
    {
        manual_seed(4);
        var shared = nn.Linear(8, 8);
        using var model = nn.Sequential(("frozen", nn.Linear(8, 8)), ("a", shared), ("b", shared), ("out", nn.Linear(8, 2)));
        model.named_parameters().First(p => p.name == "frozen.weight").parameter.requires_grad = false;
        using var masks = MaskSet.ForModel(model, null);
        Assert.Equal(["a.weight", "out.weight"], masks.Layers.Select(l => l.Name));
        // Per sample: frozen 64 + shared 64 twice + out 16 multiply-adds, 2 FLOPs each.
        Assert.Equal(2.0 * (64 + 64 + 64 + 16), FlopCounter.Measure(model, [8], masks).DenseForward);
    }

    /// <summary>Tokens → embedding (6 x 4) → linear 4→4, ReLU → linear 4→6 whose weight is the embedding's (tied, as in language models).</summary>
    private sealed class TiedClassifier : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding embed = nn.Embedding(6, 4);
        private readonly Linear hidden = nn.Linear(4, 4);
        private readonly Linear output = nn.Linear(4, 6);

        public TiedClassifier()
            : base("tied")
        {
            output.weight = embed.weight!;
            RegisterComponents();
        }

        public override Tensor forward(Tensor tokens)
        {
            using var embedded = embed.call(tokens);
            using var hid = hidden.call(embedded);
            using var active = nn.functional.relu(hid);
            return output.call(active);
        }
    }

    [Fact]
    public void A_weight_tied_to_an_embedding_has_the_optimizer_state_of_both_handles_masked()
    {
        // TorchSharp's Embedding.weight makes a new object at each read: the optimizer holds the tied weight twice, as
        // embed.weight (0) and output.weight (3), each with its own momentum buffer. Both must be 0 where the mask is.
        manual_seed(5);
        using var model = new TiedClassifier();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0.9);
        Assert.Equal(["embed.weight", "hidden.weight", "hidden.bias", "output.weight", "output.bias"], model.named_parameters().Select(p => p.name));
        using var controller = SparsityController.Create(model, optimizer, Gmp with { Method = SparsityMethodKind.RigL, FinalDensity = 0.5, PruneEndEpoch = 0 }, 4, 2, [3], inputType: ScalarType.Int64);
        var output = controller.Masks.Layers.Single(l => l.Name == "output.weight");
        Assert.Equal([0, 3], output.OptimizerIndices);
        Assert.Empty(controller.UnmaskedWeights);
        long active = output.ActiveCount;
        Assert.InRange(active, 1, 23);
        int regenerations = 0;
        controller.MaskUpdated += update => regenerations += update.Kind == MaskUpdateKind.Regenerate ? 1 : 0;
        for (long step = 1; step <= 8; step++)
        {
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call(randint(0, 6, [8, 3]).flatten()), randint(0, 6, [24])).backward();
                optimizer.step();
            }
            controller.AfterOptimizerStep(step);
            using var inactive = output.Mask.logical_not();
            foreach (int index in new[] { 0, 3 })
            {
                var buffer = ((SGD.State)optimizer.state_dict().State[index]).momentum_buffer!;
                using var masked = buffer.masked_select(inactive);
                using var any = masked.count_nonzero();
                Assert.True(any.item<long>() == 0, $"step {step}: the momentum of optimizer entry {index} is non-zero at {any.item<long>()} masked positions");
            }
        }
        Assert.Equal(active, output.ActiveCount);
        Assert.Equal(3, regenerations); // steps 2, 4 and 6: RigL stops at 0.75 of the 8 steps
    }

    [Fact]
    public void A_dense_first_layer_stays_dense_where_its_weight_is_used_again()
    {
        manual_seed(6);
        var first = nn.Linear(4, 4);
        var again = nn.Linear(4, 4);
        again.weight = first.weight;
        using var model = nn.Sequential(("a", first), ("relu", nn.ReLU()), ("b", again), ("c", nn.Linear(4, 2)));
        using var masks = MaskSet.ForModel(model, null, denseFirstLayer: true);
        Assert.Equal(["c.weight"], masks.Layers.Select(l => l.Name));
        using var reused = nn.Sequential(("a", first), ("relu", nn.ReLU()), ("b", first), ("c", nn.Linear(4, 2)));
        using var reusedMasks = MaskSet.ForModel(reused, null, denseFirstLayer: true);
        Assert.Equal(["c.weight"], reusedMasks.Layers.Select(l => l.Name));
    }

    [Fact]
    public void One_and_three_dimensional_convolutions_are_counted_and_masked()
    {
        // conv1d 2->8, k 3 on length 10: 48 weights x 8 positions; conv3d 1->2, k 2 on 3x3x3: 16 weights x 8 positions.
        using var conv1 = nn.Sequential(("conv", nn.Conv1d(2, 8, 3)), ("pool", nn.AdaptiveAvgPool1d(1)));
        using var masks1 = MaskSet.ForModel(conv1, null);
        Assert.Equal(2.0 * 48 * 8, FlopCounter.Measure(conv1, [2, 10], masks1).DenseForward);
        using var conv3 = nn.Sequential(("conv", nn.Conv3d(1, 2, 2)));
        using var masks3 = MaskSet.ForModel(conv3, null);
        var counter = FlopCounter.Measure(conv3, [1, 3, 3, 3], masks3);
        Assert.Equal(2.0 * 16 * 8, counter.DenseForward);
        using (var quarter = tensor(Enumerable.Range(0, 16).Select(i => i % 4 == 0).ToArray()).reshape(2, 1, 2, 2, 2))
        {
            masks3.Layers[0].SetMask(quarter);
        }
        Assert.Equal(2.0 * 4 * 8, counter.Forward());
    }

    [Fact]
    public void A_double_precision_model_is_measured_and_a_wrong_sample_shape_is_named()
    {
        using var model = Mlp();
        model.to(ScalarType.Float64);
        Assert.Equal(2.0 * ((16 * 32) + (32 * 4)), FlopCounter.Measure(model, [16], null).DenseForward);
        var e = Assert.Throws<ArgumentException>(() => FlopCounter.Measure(model, [3, 28, 28], null));
        Assert.StartsWith("sampleShape [3, 28, 28] does not fit the model:", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void The_classifier_rule_is_refused_where_it_would_empty_the_other_layers()
    {
        // conv 36 weights, classifier 1,440: at density 0.1 the whole model keeps 148, the classifier alone 288 under the rule.
        manual_seed(5);
        using var model = nn.Sequential(("conv", nn.Conv2d(1, 4, 3)), ("flat", nn.Flatten()), ("fc", nn.Linear(144, 10)));
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        var options = Gmp with { Method = SparsityMethodKind.GmpUniform };
        var e = Assert.Throws<ArgumentException>(() => SparsityController.Create(model, optimizer, options, 4, 3, [1, 8, 8]));
        Assert.StartsWith("SparsityOptions.ClassifierRule keeps the last layer (fc.weight, 1440 weights) at density 0.2, more than final density 0.1 allows the whole model (148 of 1476 weights)", e.Message, StringComparison.Ordinal);
        using var without = SparsityController.Create(model, optimizer, options with { ClassifierRule = false }, 4, 3, [1, 8, 8]);
        Assert.Equal(2, without.Masks.Layers.Count);
    }

    [Fact]
    public void Steps_past_the_run_are_refused()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        using var controller = SparsityController.Create(model, optimizer, Gmp, 2, 2, [16]);
        for (long step = 1; step <= 4; step++)
        {
            Step(model, optimizer);
            controller.AfterOptimizerStep(step);
        }
        Assert.Equal(0.1, controller.Density, 2);
        Step(model, optimizer);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => controller.AfterOptimizerStep(5));
        Assert.StartsWith("Step 5 is past the run's 4 steps (steps per epoch × epochs given to Create)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_converted_after_create_is_named_instead_of_failing_inside_torchsharp()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        using var controller = SparsityController.Create(model, optimizer, Gmp, 4, 3, [16]);
        model.to(ScalarType.Float64);
        var e = Assert.Throws<InvalidOperationException>(() => controller.AfterOptimizerStep(1));
        Assert.StartsWith("The weight of fc1.weight is gone: the model's parameters were replaced or disposed after the controller was created", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pruning_window_shorter_than_a_step_names_the_option()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, false);
        var e = Assert.Throws<GraNet.OptionValueException>(() => SparsityController.Create(model, optimizer, Gmp with { PruneStartEpoch = 0.1, PruneEndEpoch = 0.12 }, 10, 1, [16]));
        Assert.Equal("SparsityOptions.PruneEndEpoch 0.12 must be at least one step after SparsityOptions.PruneStartEpoch 0.1: at 10 steps per epoch both fall on step 1.", e.Message);
    }

    /// <summary>fc1 100 → 50, fc2 50 → 2 (100 weights), fc3 2 → 10 (20 weights).</summary>
    private static Sequential Narrow() =>
        nn.Sequential(("fc1", nn.Linear(100, 50)), ("r1", nn.ReLU()), ("fc2", nn.Linear(50, 2)), ("r2", nn.ReLU()), ("fc3", nn.Linear(2, 10)));

    [Theory]
    [InlineData(SparsityMethodKind.Static, "SparsityOptions.FinalDensity 0.02 leaves layer fc3.weight (20 weights) with no weight under ")]
    [InlineData(SparsityMethodKind.GmpUniform, "SparsityOptions.FinalDensity 0.02 leaves layer fc3.weight (20 weights) with no weight under ")]
    public void A_density_that_empties_a_layer_is_refused(SparsityMethodKind method, string start)
    {
        using var model = Narrow();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05);
        var options = new SparsityOptions { Method = method, Distribution = DistributionKind.Uniform, InitDensity = 1, FinalDensity = 0.02, ClassifierRule = false, PruneEndEpoch = 1, UpdateInterval = 1 };
        var e = Assert.Throws<GraNet.OptionValueException>(() => SparsityController.Create(model, optimizer, options, 2, 1, [100]));
        Assert.StartsWith(start, e.Message, StringComparison.Ordinal);
        // ERK gives the small layer more: 0.02 overall keeps weights in every layer.
        using var controller = SparsityController.Create(model, optimizer, options with { Distribution = DistributionKind.ERK, Method = SparsityMethodKind.Static }, 2, 1, [100]);
        Assert.All(controller.Masks.Layers, l => Assert.True(l.ActiveCount > 0));
    }

    /// <summary>Token ids → embedding → mean → linear.</summary>
    private sealed class Bag : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding embedding = nn.Embedding(50, 8);
        private readonly Linear fc = nn.Linear(8, 3);

        public Bag() : base("bag") => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            using var embedded = embedding.call(input);
            using var mean = embedded.mean([1]);
            return fc.call(mean);
        }
    }

    [Fact]
    public void A_model_that_takes_token_ids_gives_its_input_type()
    {
        using var model = new Bag();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05);
        var options = new SparsityOptions { Method = SparsityMethodKind.Static, FinalDensity = 0.5 };
        var e = Assert.Throws<ArgumentException>(() => SparsityController.Create(model, optimizer, options, 2, 1, [12]));
        Assert.Contains("its input type", e.Message, StringComparison.Ordinal);
        using var controller = SparsityController.Create(model, optimizer, options, 2, 1, [12], inputType: ScalarType.Int64);
        Assert.Equal("fc.weight", Assert.Single(controller.Masks.Layers).Name); // embeddings are not masked
        Assert.Equal(0.5, controller.InferenceFlopsRelative, 12); // 12 of 24 weights of the one counted layer
    }

    [Theory]
    [InlineData(SparsityMethodKind.RigL, 16, "leaves no regeneration step in steps 1..12 of this run (4 per epoch; rigl stops at step 12, SparsityOptions.RigLStopFraction 0.75 of the run), so rigl would not regenerate at all; use a shorter interval or raise SparsityOptions.RigLStopFraction")]
    [InlineData(SparsityMethodKind.GraNet, 20, "leaves no regeneration step in steps 1..16 of this run (4 per epoch), so granet would not regenerate at all; use a shorter interval")]
    public void An_update_interval_longer_than_the_run_is_refused_for_a_method_that_regenerates(SparsityMethodKind method, int interval, string rule)
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05);
        // 4 steps per epoch x 4 epochs = 16 steps; rigl stops at floor(0.75 * 16) = 12.
        var options = new SparsityOptions { Method = method, InitDensity = 0.5, FinalDensity = 0.1, UpdateInterval = interval, PruneEndEpoch = 2, RigLStopFraction = 0.75 };
        var e = Assert.Throws<GraNet.OptionValueException>(() => SparsityController.Create(model, optimizer, options, 4, 4, [16]));
        Assert.Equal($"SparsityOptions.UpdateInterval {interval} {rule}.", e.Message);
        // An interval that fits once is fine; gmp only prunes, and its last event comes at the end of pruning whatever the interval.
        using (SparsityController.Create(model, optimizer, options with { UpdateInterval = 12 }, 4, 4, [16]))
        {
        }
        using var gmp = SparsityController.Create(model, optimizer, options with { Method = SparsityMethodKind.Gmp, InitDensity = 1, UpdateInterval = 1000 }, 4, 4, [16]);
    }
}
