using GraNet.Sparsity;
using GraNet.Training.Optimizers;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// A library caller's mistakes and surprises: a refused <c>Create</c> leaves the model as it was, a step refused for want of
/// gradients changes nothing and can be given again, a saved state goes only into a controller made the same way, and the
/// weights no mask covers are named.
/// </summary>
public class ControllerRobustnessTests
{
    private const int StepsPerEpoch = 4;
    private const int Epochs = 4;

    private static readonly SparsityOptions GraNet = new()
    {
        Method = SparsityMethodKind.GraNet, InitDensity = 0.5, FinalDensity = 0.2, UpdateInterval = 2, PruneStartEpoch = 0, PruneEndEpoch = 2,
    };

    private static Sequential Mlp() => TinyNets.SeededMlp();

    private static long NonZero(nn.Module model) => model.parameters().Sum(p => p.count_nonzero().item<long>());

    private static void Step(Sequential model, OptimizerHelper optimizer, int seed) => TinyNets.SeededStep(model, optimizer, seed);

    [Fact]
    public void A_create_refused_for_a_sample_shape_that_does_not_fit_leaves_every_weight_as_it_was()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        long before = NonZero(model);
        var e = Assert.Throws<ArgumentException>(() => SparsityController.Create(model, optimizer, GraNet with { Method = SparsityMethodKind.RigL }, StepsPerEpoch, Epochs, [7]));
        Assert.StartsWith("sampleShape [7] does not fit the model", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, NonZero(model)); // a RigL start at 0.2 would have zeroed 80 % of the weights
    }

    [Fact]
    public void Create_keeps_a_part_of_the_model_the_caller_put_in_eval_mode_in_eval_mode()
    {
        var fc1 = nn.Linear(10, 12);
        var drop = nn.Dropout(0.5);
        var fc2 = nn.Linear(12, 3);
        using var model = nn.Sequential(("fc1", fc1), ("drop", drop), ("fc2", fc2));
        model.train();
        drop.eval(); // a part the caller holds in eval mode while the rest trains
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = SparsityController.Create(model, optimizer, GraNet, StepsPerEpoch, Epochs, [10]);
        Assert.True(model.training);
        Assert.True(fc1.training);
        Assert.False(drop.training);
        Assert.True(fc2.training);
    }

    [Fact]
    public void A_growth_step_without_gradients_is_refused_before_it_prunes_and_can_be_given_again()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = SparsityController.Create(model, optimizer, GraNet, StepsPerEpoch, Epochs, [10], seed: 5);
        var updates = new List<MaskUpdate>();
        controller.MaskUpdated += updates.Add;
        Step(model, optimizer, 1);
        controller.AfterOptimizerStep(1);
        Step(model, optimizer, 2);
        optimizer.zero_grad(); // the mistake: gradients cleared before the controller sees them
        double density = controller.Density;
        var e = Assert.Throws<NoGradientException>(() => controller.AfterOptimizerStep(2));
        Assert.StartsWith("Every gradient of the model is zero or undefined at this growth event", e.Message, StringComparison.Ordinal);
        // Step 2 prunes (0.5 → below) and regenerates: neither happened, and step 2 is still to come.
        Assert.Equal(density, controller.Density);
        Assert.Equal(1, controller.Step);
        Assert.Empty(updates);

        // Corrected: the same batch's gradient again, then the step.
        var generator = new Generator(2);
        using (var x = randn([8, 10], generator: generator))
        using (var y = randint(0, 3, [8], generator: generator))
        using (var loss = nn.functional.cross_entropy(model.call(x), y))
        {
            loss.backward();
        }
        controller.AfterOptimizerStep(2);
        Assert.Equal(2, controller.Step);
        Assert.Equal([MaskUpdateKind.Prune, MaskUpdateKind.Regenerate], updates.Select(u => u.Kind));
        Assert.True(controller.Density < density);
    }

    [Theory]
    [InlineData(SparsityMethodKind.GraNetUniform)] // layer-wise k-th value on a NaN: libtorch failed inside the step ("start (0) + length (2) exceeds dimension size (1)")
    [InlineData(SparsityMethodKind.Gmp)] // global: a NaN ranked as the largest magnitude, silently
    [InlineData(SparsityMethodKind.RigL)]
    public void A_mask_update_over_a_nan_weight_is_refused_before_it_changes_anything(SparsityMethodKind method)
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        var options = GraNet with { Method = method, InitDensity = method == SparsityMethodKind.Gmp ? 1 : 0.5, FinalDensity = method == SparsityMethodKind.RigL ? 0.5 : 0.2 };
        using var controller = SparsityController.Create(model, optimizer, options, StepsPerEpoch, Epochs, [10], seed: 5);
        Step(model, optimizer, 1);
        controller.AfterOptimizerStep(1);
        Step(model, optimizer, 2);
        var fc1 = controller.Masks.Layers[0];
        float kept;
        using (no_grad())
        using (var flat = fc1.Weight.view(-1))
        {
            kept = flat[3].item<float>();
            flat[3] = float.NaN;
        }
        long[] active = controller.Masks.Layers.Select(l => l.ActiveCount).ToArray();
        var e = Assert.Throws<NonFiniteWeightsException>(() => controller.AfterOptimizerStep(2));
        Assert.Equal("fc1.weight holds NaN or infinite weights at step 2, a mask update: the training diverged, and magnitudes cannot rank such weights. Lower the learning rate or add a warm-up, and train again from the last checkpoint before it (or from the start).", e.Message);
        Assert.Equal(1, controller.Step); // step 2 is still to come
        Assert.Equal(active, controller.Masks.Layers.Select(l => l.ActiveCount));
        using (no_grad())
        using (var flat = fc1.Weight.view(-1))
        {
            flat[3] = kept;
        }
        controller.AfterOptimizerStep(2);
        Assert.Equal(2, controller.Step);
    }

    [Fact]
    public void A_handler_that_throws_at_a_pruning_event_does_not_cost_the_steps_regeneration()
    {
        // The same two steps twice, once with a handler that throws at the pruning event: the masks after step 2 (pruned,
        // then regenerated) are the same, and step 3 follows.
        List<bool[]> MasksAfterTwoSteps(bool throwing, out SparsityController kept, out Sequential model, out ScalarSafeSgd optimizer)
        {
            model = Mlp();
            optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
            var controller = SparsityController.Create(model, optimizer, GraNet, StepsPerEpoch, Epochs, [10], seed: 5);
            var seen = new List<MaskUpdateKind>();
            controller.MaskUpdated += u =>
            {
                seen.Add(u.Kind);
                if (throwing && u.Kind == MaskUpdateKind.Prune)
                {
                    throw new IOException("log full");
                }
            };
            Step(model, optimizer, 1);
            controller.AfterOptimizerStep(1);
            Step(model, optimizer, 2);
            if (throwing)
            {
                Assert.Throws<IOException>(() => controller.AfterOptimizerStep(2));
                Assert.Equal([MaskUpdateKind.Prune], seen); // threw at the pruning, so not told the step's later update
            }
            else
            {
                controller.AfterOptimizerStep(2);
                Assert.Equal([MaskUpdateKind.Prune, MaskUpdateKind.Regenerate], seen);
            }
            kept = controller;
            return controller.Masks.Layers.Select(l => TinyNets.Flat(l.Mask)).ToList();
        }
        var plain = MasksAfterTwoSteps(throwing: false, out var quiet, out var quietModel, out var quietOptimizer);
        var thrown = MasksAfterTwoSteps(throwing: true, out var controller, out var model, out var optimizer);
        using (quiet)
        using (quietModel)
        using (quietOptimizer)
        using (controller)
        using (model)
        using (optimizer)
        {
            Assert.Equal(plain, thrown);
            Assert.Equal(2, controller.Step);
            Step(model, optimizer, 3);
            controller.AfterOptimizerStep(3);
        }
    }

    [Fact]
    public void A_layer_frozen_after_create_is_refused_at_a_regeneration_before_it_prunes_and_the_step_may_be_given_again()
    {
        // Frozen, fc1 has no gradient: its grown weights would start at 0 and never train. Step 2 prunes and regenerates.
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, GraNet);
        Step(model, optimizer, 1);
        controller.AfterOptimizerStep(1);
        var fc1 = controller.Masks.Layers[0].Weight;
        var active = controller.Masks.Layers.Select(l => l.ActiveCount).ToList();
        fc1.requires_grad = false;
        Step(model, optimizer, 2);
        var e = Assert.Throws<InvalidOperationException>(() => controller.AfterOptimizerStep(2));
        Assert.Equal("fc1.weight no longer requires gradients (requires_grad was set to false after the controller was created), so the weights regeneration grows there would stay 0; set requires_grad back to true, or create the controller after freezing the layer (a frozen layer is then left unmasked).", e.Message);
        Assert.Equal(1, controller.Step);
        Assert.Equal(active, controller.Masks.Layers.Select(l => l.ActiveCount));
        fc1.requires_grad = true;
        Step(model, optimizer, 2);
        controller.AfterOptimizerStep(2);
        Assert.Equal(2, controller.Step);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Every_other_handler_is_told_of_every_update_of_a_step_when_handlers_throw(int throwing)
    {
        // Step 2 prunes and regenerates (interval 2). Handlers that throw at every update (as a log on a full disk does)
        // come first, one that logs last: it is told of both updates. One failing handler's exception reaches the caller
        // as thrown, once (an AggregateException of its two failures hid the IOException from the tool's disk-full message);
        // several handlers' as an AggregateException, one each.
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = SparsityController.Create(model, optimizer, GraNet, StepsPerEpoch, Epochs, [10], seed: 5);
        var told = new List<MaskUpdateKind>();
        for (int h = 1; h <= throwing; h++)
        {
            int handler = h;
            controller.MaskUpdated += u => throw new IOException($"log {handler} full at {u.Kind}");
        }
        controller.MaskUpdated += u => told.Add(u.Kind);
        Step(model, optimizer, 1);
        controller.AfterOptimizerStep(1);
        Step(model, optimizer, 2);
        if (throwing == 1)
        {
            Assert.Equal("log 1 full at Prune", Assert.Throws<IOException>(() => controller.AfterOptimizerStep(2)).Message);
        }
        else
        {
            var e = Assert.Throws<AggregateException>(() => controller.AfterOptimizerStep(2));
            Assert.Equal(["log 1 full at Prune", "log 2 full at Prune"], e.InnerExceptions.Select(x => x.Message));
        }
        Assert.Equal([MaskUpdateKind.Prune, MaskUpdateKind.Regenerate], told);
        Assert.Equal(2, controller.Step);
    }

    private static (byte[] State, long Step) SavedAfterThreeSteps(SparsityOptions options)
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = SparsityController.Create(model, optimizer, options, StepsPerEpoch, Epochs, [10], seed: 5);
        for (int step = 1; step <= 3; step++)
        {
            Step(model, optimizer, step);
            controller.AfterOptimizerStep(step);
        }
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            controller.Save(writer);
        }
        return (stream.ToArray(), controller.Step);
    }

    private static SparsityController Fresh(Sequential model, OptimizerHelper optimizer, SparsityOptions options, int epochs = Epochs) =>
        SparsityController.Create(model, optimizer, options, StepsPerEpoch, epochs, [10], seed: 5);

    private static void Load(SparsityController controller, byte[] state)
    {
        using var reader = new BinaryReader(new MemoryStream(state));
        controller.Load(reader);
    }

    [Fact]
    public void A_saved_state_loads_into_a_controller_made_the_same_way_and_tells_the_step_reached()
    {
        var (state, step) = SavedAfterThreeSteps(GraNet);
        Assert.Equal(3, step);
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, GraNet);
        Assert.Equal(0, controller.Step);
        Load(controller, state);
        Assert.Equal(3, controller.Step);
        Step(model, optimizer, 4);
        controller.AfterOptimizerStep(controller.Step + 1);
    }

    [Fact]
    public void A_saved_state_is_refused_by_a_controller_with_other_options_or_another_run_length_naming_the_difference()
    {
        var (state, _) = SavedAfterThreeSteps(GraNet);
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using (var other = Fresh(model, optimizer, GraNet with { FinalDensity = 0.5 }))
        {
            var e = Assert.Throws<InvalidDataException>(() => Load(other, state));
            Assert.Equal("The saved state was made with SparsityOptions.FinalDensity 0.2, this controller with 0.5; load it into a controller created with the options the run was saved with.", e.Message);
        }
        using (var growth = Fresh(model, optimizer, GraNet with { Growth = GrowthKind.Random }))
        {
            Assert.Contains("SparsityOptions.Growth null, this controller with random;", Assert.Throws<InvalidDataException>(() => Load(growth, state)).Message, StringComparison.Ordinal);
        }
        using (var longer = Fresh(model, optimizer, GraNet, epochs: 8))
        {
            Assert.Equal(
                "The saved state is of a run of 16 steps, this controller was created for 32 (steps per epoch × epochs given to Create); create it with the saved run's step counts.",
                Assert.Throws<InvalidDataException>(() => Load(longer, state)).Message);
        }
        // The same 16 steps as 2 epochs of 8: pruning would end at step 16 (epoch 2), not at step 8.
        using (var fewerEpochs = SparsityController.Create(model, optimizer, GraNet, 8, 2, [10], seed: 5))
        {
            Assert.Equal(
                "The saved state is of a run of 4 steps per epoch, this controller was created for 8 (the same 16 steps in all, but the options' epochs, such as the pruning window, fall on other steps); create it with the saved run's step counts.",
                Assert.Throws<InvalidDataException>(() => Load(fewerEpochs, state)).Message);
            Assert.Equal(0, fewerEpochs.Step);
        }
    }

    [Fact]
    public void Bytes_that_are_not_a_saved_state_are_refused_as_such_and_a_state_of_the_earlier_layout_still_loads()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, GraNet);
        var e = Assert.Throws<InvalidDataException>(() => Load(controller, [3, 0x41, 0x42, 0x43, 9, 9]));
        Assert.Equal("This is not the state of a SparsityController (it does not begin as SparsityController.Save writes); give what Save wrote.", e.Message);
        // A length the bytes do not hold, and a length prefix that is not one: the same refusal, not a reader's exception.
        Assert.Equal(e.Message, Assert.Throws<InvalidDataException>(() => Load(controller, [200, 0x41])).Message);
        Assert.Equal(e.Message, Assert.Throws<InvalidDataException>(() => Load(controller, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])).Message);
        // A later layout is named as one.
        using (var later = new MemoryStream())
        {
            using (var writer = new BinaryWriter(later, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                writer.Write("GRANET-SPARSITY-STATE-4");
                writer.Write(0L);
            }
            Assert.Equal(
                "The saved state is of a later layout (GRANET-SPARSITY-STATE-4) than this version of GraNet.NET reads (up to GRANET-SPARSITY-STATE-3); load it with the version that saved it, or a newer one.",
                Assert.Throws<InvalidDataException>(() => Load(controller, later.ToArray())).Message);
        }
        foreach (string unknown in new[] { "GRANET-SPARSITY-STATE-1", "GRANET-SPARSITY-STATE-x" })
        {
            using var other = new MemoryStream();
            using (var writer = new BinaryWriter(other, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(unknown);
            }
            Assert.Equal(e.Message, Assert.Throws<InvalidDataException>(() => Load(controller, other.ToArray())).Message);
        }

        // The previous layout is the state inside the checksummed frame; the one before began with the method's name:
        // the same bytes without the options and run length in front. Both still load.
        var (state, _) = SavedAfterThreeSteps(GraNet);
        byte[] previous = SavedStates.Unframed(state);
        byte[] earlier;
        using (var reader = new BinaryReader(new MemoryStream(previous)))
        {
            reader.ReadString();
            reader.ReadString();
            reader.ReadInt64();
            earlier = previous[(int)reader.BaseStream.Position..];
        }
        controller.Dispose(); // one controller per model
        using (var reloaded = Fresh(model, optimizer, GraNet))
        {
            Load(reloaded, earlier);
            Assert.Equal(3, reloaded.Step);
        }
        using var again = Fresh(model, optimizer, GraNet);
        Load(again, previous);
        Assert.Equal(3, again.Step);
    }

    [Fact]
    public void A_state_of_the_earlier_layout_with_a_damaged_random_growth_state_is_refused_not_a_crash()
    {
        // SET's state ends with its generator's: 4 bytes of length, then libtorch's 5,056 bytes, whose seeded flag is at
        // byte 12. An earlier state has no checksum; libtorch ended the process on this one (an uncaught C++ exception).
        var set = GraNet with { Method = SparsityMethodKind.Set, InitDensity = 1 };
        byte[] earlier = SavedStates.Unframed(SavedAfterThreeSteps(set).State);
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, set);
        var masks = controller.Masks.Layers.Select(l => TinyNets.Flat(l.Mask)).ToList();
        earlier[^(5056 - 12)] = 0;
        var e = Assert.Throws<InvalidDataException>(() => Load(controller, earlier));
        Assert.Equal("the checkpoint's random growth state is not a valid random generator state (its Mersenne Twister position or seeded flag is out of range); the file is damaged, use another checkpoint.", e.Message);
        Assert.Equal(0, controller.Step);
        Assert.Equal(masks, controller.Masks.Layers.Select(l => TinyNets.Flat(l.Mask)));
    }

    /// <summary>A stream that reads or writes only forward (as a GZipStream or a pipe does), over another.</summary>
    private sealed class OneWay(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public void A_state_saves_to_and_loads_from_a_stream_that_cannot_seek_and_leaves_what_follows_it()
    {
        var (state, _) = SavedAfterThreeSteps(GraNet);
        using (var model = Mlp())
        using (var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true))
        using (var controller = Fresh(model, optimizer, GraNet))
        {
            // Saved through a stream that cannot seek: the same bytes (the length is counted, not patched in afterwards).
            Load(controller, state);
            using var sink = new MemoryStream();
            using (var writer = new BinaryWriter(new OneWay(sink), System.Text.Encoding.UTF8))
            {
                controller.Save(writer);
            }
            Assert.Equal(state, sink.ToArray());
        }
        foreach (bool seekable in new[] { true, false })
        {
            using var model = Mlp();
            using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
            using var controller = Fresh(model, optimizer, GraNet);
            byte[] followed = [.. state, 42];
            Stream source = new MemoryStream(followed);
            using var reader = new BinaryReader(seekable ? source : new OneWay(source));
            controller.Load(reader);
            Assert.Equal(3, controller.Step);
            Assert.Equal(42, reader.ReadByte()); // the reader is left right after the state, as a checkpoint's next field needs
        }
    }

    [Fact]
    public void A_state_loads_through_a_reader_of_another_encoding_from_any_stream()
    {
        // Save writes the state's strings as UTF-8; a seekable Load read them with the caller's reader (UTF-16 here) and
        // refused its own state as "not a state", while a one-way stream loaded it.
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, GraNet);
        Load(controller, SavedAfterThreeSteps(GraNet).State);
        using var saved = new MemoryStream();
        using (var writer = new BinaryWriter(saved, System.Text.Encoding.Unicode, leaveOpen: true))
        {
            controller.Save(writer);
        }
        foreach (bool seekable in new[] { true, false })
        {
            using var again = new MemoryStream(saved.ToArray());
            using var reader = new BinaryReader(seekable ? again : new OneWay(again), System.Text.Encoding.Unicode);
            controller.Load(reader);
            Assert.Equal(3, controller.Step);
        }
    }

    [Fact]
    public void A_damaged_length_on_a_stream_that_cannot_seek_is_found_cut_short_where_the_stream_ends()
    {
        // The length after the first string, made 2,000,000,000: before, a buffer that large was allocated first.
        var (state, _) = SavedAfterThreeSteps(GraNet);
        byte[] damaged = [.. state];
        BitConverter.GetBytes(2_000_000_000L).CopyTo(damaged, 24); // 1 + 23 bytes of "GRANET-SPARSITY-STATE-3"
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, GraNet);
        using var reader = new BinaryReader(new OneWay(new MemoryStream(damaged)));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => controller.Load(reader));
        Assert.Equal("The saved state of the SparsityController ends early: it was cut short; give all that Save wrote.", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the claimed length was allocated");
        Assert.Equal(0, controller.Step);
    }

    [Fact]
    public void A_saved_state_with_any_byte_changed_is_refused_and_changes_nothing()
    {
        // 12 of 15 single-bit flips loaded before the state had a checksum. Now every byte of it is covered: the first
        // string, the length, the state (options, step, masks) and the checksum itself.
        var (state, _) = SavedAfterThreeSteps(GraNet);
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = Fresh(model, optimizer, GraNet);
        Step(model, optimizer, 1);
        controller.AfterOptimizerStep(1);
        var masks = controller.Masks.Layers.Select(l => TinyNets.Flat(l.Mask)).ToList();
        string[] refusals =
        [
            "The saved state of the SparsityController is damaged (checksum mismatch): it was changed after Save wrote it; give what Save wrote, unchanged.",
            "The saved state of the SparsityController ends early: it was cut short; give all that Save wrote.",
            "This is not the state of a SparsityController (it does not begin as SparsityController.Save writes); give what Save wrote.",
        ];
        var positions = Enumerable.Range(0, 40).Select(i => (int)((long)i * (state.Length - 1) / 39)).Concat([1, 24, 25, 31, 33]).Distinct();
        foreach (int at in positions)
        {
            byte[] damaged = [.. state];
            damaged[at] ^= 0x10;
            var e = Assert.Throws<InvalidDataException>(() => Load(controller, damaged));
            Assert.Contains(e.Message, refusals);
        }
        Assert.Equal(1, controller.Step);
        Assert.Equal(masks, controller.Masks.Layers.Select(l => TinyNets.Flat(l.Mask)));
        Load(controller, state);
        Assert.Equal(3, controller.Step);
    }

    [Fact]
    public void Weights_no_mask_covers_are_named()
    {
        manual_seed(1);
        using var model = nn.Sequential(("emb", nn.Embedding(20, 6)), ("flat", nn.Flatten()), ("fc", nn.Linear(24, 3)));
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = SparsityController.Create(model, optimizer, GraNet with { Method = SparsityMethodKind.RigL }, StepsPerEpoch, Epochs, [4], inputType: ScalarType.Int64);
        Assert.Equal(["emb.weight"], controller.UnmaskedWeights);
        Assert.Equal(["fc.weight"], controller.Masks.Layers.Select(l => l.Name));

        using var mlp = Mlp();
        using var sgd = new ScalarSafeSgd(mlp.parameters(), 0.05, 0.9, 0, 0, true);
        using var dense = SparsityController.Create(mlp, sgd, GraNet with { DenseFirstLayer = true }, StepsPerEpoch, Epochs, [10]);
        Assert.Equal(["fc1.weight"], dense.UnmaskedWeights);
    }

    [Fact]
    public void A_pruning_window_past_the_run_is_refused_in_the_names_of_create()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        var e = Assert.Throws<GraNet.OptionValueException>(() => SparsityController.Create(model, optimizer, GraNet with { PruneEndEpoch = 10 }, StepsPerEpoch, 3, [10]));
        Assert.Equal("SparsityOptions.PruneEndEpoch 10 must not exceed SparsityController.Create's epochs 3.", e.Message);
    }

    [Fact]
    public void A_disposed_controller_reports_nothing()
    {
        using var model = Mlp();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        var controller = Fresh(model, optimizer, GraNet);
        controller.Dispose();
        controller.Dispose();
        Assert.Throws<ObjectDisposedException>(() => controller.InferenceFlopsRelative);
        Assert.Throws<ObjectDisposedException>(() => controller.TrainingFlopsRelative);
        Assert.Throws<ObjectDisposedException>(() => controller.TotalSteps);
        Assert.Throws<ObjectDisposedException>(() => controller.Step);
        Assert.Throws<ObjectDisposedException>(controller.CollapseCause);
    }

    /// <summary>Two inputs: <c>out(relu(a(x) + b(z)))</c>.</summary>
    private sealed class TwoInputs : nn.Module<Tensor, Tensor, Tensor>
    {
        private readonly Linear a = nn.Linear(4, 8);
        private readonly Linear b = nn.Linear(6, 8);
        private readonly Linear output = nn.Linear(8, 2);

        public TwoInputs()
            : base(nameof(TwoInputs)) => RegisterComponents();

        public override Tensor forward(Tensor x, Tensor z)
        {
            using var sum = a.call(x).add_(b.call(z), global::GraNet.Runtime.HeldScalars.One);
            using var hidden = nn.functional.relu(sum);
            return output.call(hidden);
        }
    }

    [Fact]
    public void A_model_of_two_inputs_is_masked_and_its_flops_counted_through_the_forward_pass_given()
    {
        manual_seed(2);
        using var model = new TwoInputs();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 0, true);
        using var controller = SparsityController.Create(model, optimizer, GraNet with { Method = SparsityMethodKind.Static, Distribution = DistributionKind.Uniform, FinalDensity = 0.5 },
            StepsPerEpoch, Epochs, () => model.call(zeros(1, 4), zeros(1, 6)));
        Assert.Equal(["a.weight", "b.weight", "output.weight"], controller.Masks.Layers.Select(l => l.Name));
        // Uniform 0.5: 16 of 32, 24 of 48 and 8 of 16 weights, one multiply-add each per sample.
        Assert.Equal([16L, 24, 8], controller.Masks.Layers.Select(l => l.ActiveCount));
        Assert.Equal((16.0 + 24 + 8) / (32 + 48 + 16), controller.InferenceFlopsRelative, 12);

        // A forward pass that fails is refused with the model untouched.
        using var other = new TwoInputs();
        using var sgd = new ScalarSafeSgd(other.parameters(), 0.05, 0.9, 0, 0, true);
        long before = NonZero(other);
        var e = Assert.Throws<ArgumentException>(() => SparsityController.Create(other, sgd, GraNet with { Method = SparsityMethodKind.Static }, StepsPerEpoch, Epochs, () => other.call(zeros(1, 5), zeros(1, 6))));
        Assert.StartsWith("the forward pass given for the FLOPs probe failed (", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, NonZero(other));
    }
}
