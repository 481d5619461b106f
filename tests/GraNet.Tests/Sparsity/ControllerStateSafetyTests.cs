using GraNet.Sparsity;
using GraNet.Training.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// What a library caller's mistake must not do: a refused saved state, a second controller, a handler that throws at the
/// initial masks or a model converted under its optimizer leave the model and the controller as they were, or say what
/// happened; and a run resumes from its saved state whichever order the model's own weights are loaded in.
/// </summary>
public sealed class ControllerStateSafetyTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-state-safety");

    public void Dispose() => Directory.Delete(root, recursive: true);

    private const int StepsPerEpoch = 4;
    private const int Epochs = 4;

    private static readonly SparsityOptions GraNetOptions = new()
    {
        Method = SparsityMethodKind.GraNet, InitDensity = 0.5, FinalDensity = 0.2, UpdateInterval = 2, PruneStartEpoch = 0, PruneEndEpoch = 2,
    };

    private static Sequential Mlp(int outputs = 3) => TinyNets.SeededMlp(outputs);

    private static void Step(Sequential model, OptimizerHelper optimizer, int seed) => TinyNets.SeededStep(model, optimizer, seed);

    private static SparsityController Fresh(Sequential model, OptimizerHelper optimizer, SparsityOptions options, BinaryReader? resumeFrom = null) =>
        SparsityController.Create(model, optimizer, options, StepsPerEpoch, Epochs, [10], seed: 5, resumeFrom: resumeFrom);

    private static byte[] Saved(SparsityController controller)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            controller.Save(writer);
        }
        return stream.ToArray();
    }

    private static float[] Values(nn.Module model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    private static byte[] MaskBytes(SparsityController controller) => controller.Masks.Layers.SelectMany(l => l.Mask.bytes.ToArray()).ToArray();

    /// <summary>A run of <paramref name="steps"/> steps: its controller's state, the model's weights and the optimizer's momentum after them.</summary>
    private static (byte[] State, string Weights, string Optimizer) RunAndSave(SparsityOptions options, int steps, string folder)
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, options);
        for (int step = 1; step <= steps; step++)
        {
            Step(model, optimizer, step);
            controller.AfterOptimizerStep(step);
        }
        string weights = Path.Combine(folder, "model.bin"), state = Path.Combine(folder, "optimizer.bin");
        model.save(weights);
        optimizer.save_state_dict(state);
        return (Saved(controller), weights, state);
    }

    [Theory]
    [InlineData(SparsityMethodKind.GraNet)]
    [InlineData(SparsityMethodKind.Snfs)]
    public void A_state_of_another_model_or_cut_short_is_refused_and_changes_nothing(SparsityMethodKind method)
    {
        var options = GraNetOptions with { Method = method, InitDensity = method == SparsityMethodKind.Snfs ? 1 : 0.5 };
        var (state, _, _) = RunAndSave(options, 3, root);

        using var model = Mlp(outputs: 4); // fc2 holds 48 weights here, 36 in the saved run
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, options);
        Step(model, optimizer, 1);
        controller.AfterOptimizerStep(1);
        var (masks, weights, density, flops) = (MaskBytes(controller), Values(model), controller.Density, controller.TrainingFlopsRelative);

        using (var reader = new BinaryReader(new MemoryStream(state)))
        {
            var e = Assert.Throws<InvalidDataException>(() => controller.Load(reader));
            Assert.StartsWith("The checkpoint's masked layer fc2.weight (36 weights) does not match this model's (fc2.weight (48))", e.Message, StringComparison.Ordinal);
        }
        Same();

        using var sameModel = Mlp();
        using var sameOptimizer = new ScalarSafeSgd(sameModel.parameters(), 0.05, 0.9, 0, 0, true);
        using var same = Fresh(sameModel, sameOptimizer, options);
        Step(sameModel, sameOptimizer, 1);
        same.AfterOptimizerStep(1);
        (masks, weights, density, flops) = (MaskBytes(same), Values(sameModel), same.Density, same.TrainingFlopsRelative);
        const string cutShort = "The saved state of the SparsityController ends early: it was cut short; give all that Save wrote.";
        using (var reader = new BinaryReader(new MemoryStream(state[..^5]))) // the checksum's end is missing
        {
            Assert.Equal(cutShort, Assert.Throws<InvalidDataException>(() => same.Load(reader)).Message);
        }
        // The state inside the checksummed frame is the previous version's layout, which still loads and has no
        // checksum: its own readers notice where it is cut short or damaged.
        byte[] inner = SavedStates.Unframed(state);
        using (var reader = new BinaryReader(new MemoryStream(inner[..^5]))) // the growth state's (or the last mask's) end is missing
        {
            var cut = Assert.Throws<InvalidDataException>(() => same.Load(reader));
            Assert.Contains(" ends inside ", cut.Message, StringComparison.Ordinal); // the mask or growth state it ends in, named
        }
        // The step the state was saved at (3, the first 8-byte 3 after the header): cut inside it, and changed to one past the run's 16 steps.
        int at = Enumerable.Range(0, inner.Length - 8).First(i => BitConverter.ToInt64(inner, i) == 3);
        using (var reader = new BinaryReader(new MemoryStream(inner[..(at + 4)])))
        {
            var cut = Assert.Throws<InvalidDataException>(() => same.Load(reader));
            Assert.Equal(cutShort, cut.Message); // was .NET's "Unable to read beyond the end of the stream."
        }
        byte[] damaged = [.. inner];
        BitConverter.GetBytes(17L).CopyTo(damaged, at);
        using (var reader = new BinaryReader(new MemoryStream(damaged)))
        {
            var e = Assert.Throws<InvalidDataException>(() => same.Load(reader));
            Assert.StartsWith("The saved state is damaged: it records step 17 of a run of 16 steps", e.Message, StringComparison.Ordinal);
        }
        Assert.Equal(1, same.Step);
        Assert.Equal(masks, MaskBytes(same));
        Assert.Equal(weights, Values(sameModel));
        Assert.Equal(density, same.Density);
        Assert.Equal(flops, same.TrainingFlopsRelative);
        Step(sameModel, sameOptimizer, 2);
        same.AfterOptimizerStep(2); // the run goes on from where it was

        void Same()
        {
            Assert.Equal(1, controller.Step);
            Assert.Equal(masks, MaskBytes(controller));
            Assert.Equal(weights, Values(model));
            Assert.Equal(density, controller.Density);
            Assert.Equal(flops, controller.TrainingFlopsRelative);
        }
    }

    [Theory]
    [InlineData(SparsityMethodKind.GraNet, false)]
    [InlineData(SparsityMethodKind.GraNet, true)]
    [InlineData(SparsityMethodKind.Snfs, true)]
    [InlineData(SparsityMethodKind.Set, true)]
    public void A_run_resumed_through_create_ends_where_the_uninterrupted_one_does_whenever_the_weights_are_loaded(SparsityMethodKind method, bool weightsFirst)
    {
        var options = GraNetOptions with { Method = method, InitDensity = method == SparsityMethodKind.GraNet ? 0.5 : 1 };
        const int total = StepsPerEpoch * Epochs;
        var (_, uninterrupted, _) = RunAndSave(options, total, root);
        using var whole = Mlp();
        whole.load(uninterrupted);
        var expected = Values(whole);

        var (state, weights, optimizerState) = RunAndSave(options, 6, root);
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        if (weightsFirst)
        {
            model.load(weights); // the natural order: the model first, then its controller
        }
        var updates = new List<MaskUpdate>();
        using var reader = new BinaryReader(new MemoryStream(state));
        using var controller = SparsityController.Create(model, optimizer, options, StepsPerEpoch, Epochs, [10], seed: 5, maskUpdated: updates.Add, resumeFrom: reader);
        if (!weightsFirst)
        {
            model.load(weights);
        }
        optimizer.load_state_dict(optimizerState);
        Assert.Equal(6, controller.Step);
        Assert.Empty(updates); // the saved run reported its initial masks
        for (long step = controller.Step + 1; step <= total; step++)
        {
            Step(model, optimizer, (int)step);
            controller.AfterOptimizerStep(step);
        }
        Assert.Equal(expected, Values(model));
    }

    [Fact]
    public void A_state_that_does_not_fit_refuses_create_with_the_model_as_it_was()
    {
        var (state, _, _) = RunAndSave(GraNetOptions, 3, root);
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        var before = Values(model);
        using var reader = new BinaryReader(new MemoryStream(state));
        var e = Assert.Throws<InvalidDataException>(() => Fresh(model, optimizer, GraNetOptions with { FinalDensity = 0.3 }, reader));
        Assert.StartsWith("The saved state was made with SparsityOptions.FinalDensity 0.2, this controller with 0.3;", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Values(model));
        using var fresh = Fresh(model, optimizer, GraNetOptions); // the refused controller holds no weight
    }

    [Fact]
    public void A_second_controller_on_the_same_weights_is_refused_until_the_first_is_disposed()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        var first = Fresh(model, optimizer, GraNetOptions);
        var before = Values(model);
        var e = Assert.Throws<InvalidOperationException>(() => Fresh(model, optimizer, GraNetOptions with { Method = SparsityMethodKind.Static }));
        Assert.Equal("fc1.weight is masked by another SparsityController already (its Step is 0); dispose that controller before creating another for the same model (one controller per model).", e.Message);
        Assert.Equal(before, Values(model));
        Assert.Equal(0.5, first.Density, 2);
        first.Dispose();
        using var second = Fresh(model, optimizer, GraNetOptions with { Method = SparsityMethodKind.Static });
        Assert.Equal(0.2, second.Density, 1);
        using var other = Mlp();
        using var otherOptimizer = new ScalarSafeSgd(other.parameters(), 0.05, 0.9, 0, 0, true);
        using var third = Fresh(other, otherOptimizer, GraNetOptions); // another model's weights are free
    }

    [Fact]
    public void A_refused_attach_or_a_dense_controller_holds_no_weights()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        // Through the trainer's hook: refused (a sample shape that does not fit), and not disposed by anyone.
        var refused = new SparsityController(GraNetOptions);
        Assert.Throws<ArgumentException>(() => refused.Attach(new GraNet.Training.TrainingContext(model, optimizer, StepsPerEpoch, StepsPerEpoch * Epochs, Epochs, 0, [7])));
        using (var dense = Fresh(model, optimizer, GraNetOptions with { Method = SparsityMethodKind.Dense }))
        {
            using var masking = Fresh(model, optimizer, GraNetOptions); // neither the refused nor the dense one masks the weights
            Assert.Equal(0.5, masking.Density, 2);
        }
    }

#pragma warning disable GRANET002 // TorchSharp's Rprop is what the test is about (it is never stepped)
    private static OptimizerHelper Rprop(Sequential model) => optim.Rprop(model.parameters(), 0.01);
#pragma warning restore GRANET002

    [Fact]
    public void A_dense_run_resumes_with_an_optimizer_whose_state_masks_could_not_reach()
    {
        // Rprop's state cannot be masked; a dense controller never masks it, and so neither does its resume.
        var options = GraNetOptions with { Method = SparsityMethodKind.Dense };
        byte[] state;
        using (var model = Mlp())
        using (OptimizerHelper optimizer = Rprop(model))
        using (var controller = SparsityController.Create(model, optimizer, options, StepsPerEpoch, Epochs, [10]))
        {
            controller.AfterOptimizerStep(1); // (a dense controller needs no step of the optimizer to count one)
            state = Saved(controller);
        }
        using var again = Mlp();
        using OptimizerHelper rprop = Rprop(again);
        using var reader = new BinaryReader(new MemoryStream(state));
        using var resumed = SparsityController.Create(again, rprop, options, StepsPerEpoch, Epochs, [10], resumeFrom: reader);
        Assert.Equal(1, resumed.Step);
    }

    [Fact]
    public void A_handler_that_throws_at_the_initial_masks_ends_create_with_the_model_as_it_was()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        var before = Values(model);
        Assert.Throws<FormatException>(() => SparsityController.Create(model, optimizer, GraNetOptions, StepsPerEpoch, Epochs, [10], maskUpdated: _ => throw new FormatException("the log is full")));
        Assert.Equal(before, Values(model));
        using var controller = Fresh(model, optimizer, GraNetOptions); // nor does the refused controller hold the weights
    }

    [Fact]
    public void An_optimizer_made_before_the_model_was_converted_is_named_at_create_and_at_its_step()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        model.to(ScalarType.Float64); // replaces the parameters the optimizer holds
        var e = Assert.Throws<ArgumentException>(() => Fresh(model, optimizer, GraNetOptions));
        Assert.StartsWith("ScalarSafeSgd has no state for one of its parameters: the model's parameters were replaced after the optimizer was made", e.Message, StringComparison.Ordinal);

        using var converted = Mlp();
        using var sgd = new ScalarSafeSgd(converted.parameters(), 0.05, 0.9, 0, 0, true);
        using var adam = new ScalarSafeAdam(converted.parameters(), 0.01);
        converted.to(ScalarType.Float64);
        using var x = randn([8, 10], ScalarType.Float64);
        foreach (OptimizerHelper stale in new OptimizerHelper[] { sgd, adam })
        {
            stale.zero_grad();
            using var loss = converted.call(x).sum();
            loss.backward();
            var refused = Assert.Throws<InvalidOperationException>(() => stale.step());
            Assert.EndsWith("has no state for one of its parameters: the model's parameters were replaced after the optimizer was made (model.to(...) to another type or device does that); move or convert the model first, then create the optimizer (and any SparsityController).", refused.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Method", "SparsityOptions.Method 77 must be one of granet, granet-uniform, gmp, gmp-uniform, rigl, set, snfs, static, dense")]
    [InlineData("Distribution", "SparsityOptions.Distribution 9 must be one of ")]
    [InlineData("Growth", "SparsityOptions.Growth 5 must be null or one of ")]
    public void An_enum_value_that_names_no_member_is_refused_as_an_option_out_of_range(string property, string message)
    {
        var options = property switch
        {
            "Method" => GraNetOptions with { Method = (SparsityMethodKind)77 },
            "Distribution" => GraNetOptions with { Distribution = (DistributionKind)9 },
            _ => GraNetOptions with { Growth = (GrowthKind)5 },
        };
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        var e = Assert.Throws<GraNet.OptionValueException>(() => Fresh(model, optimizer, options));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_the_run_the_masks_are_held_by_applying_them_after_each_step_as_the_readme_says()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, GraNetOptions);
        const int total = StepsPerEpoch * Epochs;
        for (int step = 1; step <= total; step++)
        {
            Step(model, optimizer, step);
            controller.AfterOptimizerStep(step);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => controller.AfterOptimizerStep(total + 1));
        var masks = MaskBytes(controller);
        for (int step = 1; step <= 3; step++)
        {
            Step(model, optimizer, 100 + step);
            controller.Masks.Apply();
        }
        Assert.Equal(masks, MaskBytes(controller));
        foreach (var layer in controller.Masks.Layers)
        {
            using var inactive = layer.Mask.logical_not();
            using var weights = layer.Weight.detach().masked_select(inactive);
            using var momentum = ((TorchSharp.Modules.SGD.State)optimizer.state_dict().State[layer.OptimizerIndex]).momentum_buffer!.masked_select(inactive);
            Assert.Equal(0, weights.count_nonzero().item<long>());
            Assert.Equal(0, momentum.count_nonzero().item<long>());
            using var active = layer.Weight.detach().masked_select(layer.Mask);
            Assert.Equal(layer.ActiveCount, active.count_nonzero().item<long>()); // the active ones trained on
        }
    }

    [Fact]
    public void A_resumed_controller_counts_the_flops_of_the_masks_it_loaded()
    {
        // granet from density 0.5 to 0.2, pruning up to step 8 of 16: after 9 steps the masks are at 0.2. The model is all
        // linear, so its forward FLOPs are 2 per active weight and the inference share is the density.
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, GraNetOptions);
        for (int step = 1; step <= 9; step++)
        {
            Step(model, optimizer, step);
            controller.AfterOptimizerStep(step);
        }
        byte[] state = Saved(controller);
        double inference = controller.InferenceFlopsRelative, training = controller.TrainingFlopsRelative;
        Assert.Equal(controller.Density, inference, 12);
        Assert.True(inference < 0.25);

        // Resumed through Create: the FLOPs of the loaded masks from its first report on, and the training FLOPs go on from the saved ones.
        using (var resumedModel = Mlp())
        using (var resumedOptimizer = new ScalarSafeSgd(resumedModel.parameters(), 0.05, 0.9, 0, 0, true))
        using (var reader = new BinaryReader(new MemoryStream(state)))
        using (var resumed = Fresh(resumedModel, resumedOptimizer, GraNetOptions, reader))
        {
            Assert.Equal(inference, resumed.InferenceFlopsRelative, 12);
            Assert.Equal(training, resumed.TrainingFlopsRelative, 12);
            Step(resumedModel, resumedOptimizer, 10);
            resumed.AfterOptimizerStep(10);
            Step(model, optimizer, 10);
            controller.AfterOptimizerStep(10);
            Assert.Equal(controller.TrainingFlopsRelative, resumed.TrainingFlopsRelative, 12);
        }

        // Loaded into a controller that started afresh at density 0.5: the loaded masks' FLOPs, not its initial ones.
        using var otherModel = Mlp();
        using var otherOptimizer = new ScalarSafeSgd(otherModel.parameters(), 0.05, 0.9, 0, 0, true);
        using var other = Fresh(otherModel, otherOptimizer, GraNetOptions);
        Assert.Equal(0.5, other.InferenceFlopsRelative, 2);
        using (var reader = new BinaryReader(new MemoryStream(state)))
        {
            other.Load(reader);
        }
        Assert.Equal(inference, other.InferenceFlopsRelative, 12);
        // Its model's weights outside the loaded masks (active under its own initial ones) are zeroed by the load, before any step.
        foreach (var layer in other.Masks.Layers)
        {
            using var inactive = layer.Mask.logical_not();
            using var outside = layer.Weight.detach().masked_select(inactive);
            Assert.Equal(0, outside.count_nonzero().item<long>());
        }
    }
}
