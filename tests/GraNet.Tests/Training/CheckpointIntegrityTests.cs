using System.Buffers.Binary;
using GraNet.Data;
using GraNet.Models;
using GraNet.Sparsity;
using GraNet.Training;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Training;

/// <summary>Damaged checkpoints are refused with one line naming the file.</summary>
public class CheckpointIntegrityTests : IDisposable
{
    private static readonly TrainingOptions Options = new() { Epochs = 2, BatchSize = 50, LearningRate = 0.05, Seed = 3, ValidationFraction = 0 };

    private static readonly SparsityOptions Sparse = new()
    {
        Method = SparsityMethodKind.GraNet, InitDensity = 0.5, FinalDensity = 0.2, UpdateInterval = 3, PruneStartEpoch = 0, PruneEndEpoch = 1,
    };

    private readonly string folder = TestFiles.TempFolder("granet-integrity");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static CheckpointHeader Header(bool hook) => new("lenet-300-100", "tiny", 1, 8, 1, null, hook, [], "{}");

    /// <summary>A LeNet-300-100 with a GraNet controller attached (masks at density 0.5), as a run holds it.</summary>
    private sealed class SparseRun : IDisposable
    {
        public SparseRun(int seed)
        {
            manual_seed(seed);
            Model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
            Controller = new SparsityController(Sparse);
            Trainer = new Trainer(Model, TinyTraining.Data(Options, count: 100), Options, Controller);
        }

        public nn.Module<Tensor, Tensor> Model { get; }

        public SparsityController Controller { get; }

        public Trainer Trainer { get; }

        public void Save(string path) => Checkpoint.Save(path, Header(true), Model, Trainer.Optimizer, Controller);

        public void Load(string path) => Checkpoint.Load(path, Model, Trainer.Optimizer, Controller);

        public void Dispose()
        {
            Controller.Dispose();
            Model.Dispose();
        }
    }

    private static void Cut(string path, int bytes)
    {
        using var file = new FileStream(path, FileMode.Open);
        file.SetLength(file.Length - bytes);
    }

    [Fact]
    public void A_checkpoint_cut_inside_its_masks_is_refused_with_its_name()
    {
        // The last ~5 KB are the random generator's state; the ~530 KB before it the masks (2 bytes
        // per weight of fc1 784x300, fc2 300x100, fc3 100x10). 70000 bytes off ends in fc1's ever-active record.
        string path = Path.Combine(folder, "cut.ckpt");
        using (var written = new SparseRun(1))
        {
            written.Save(path);
        }
        Cut(path, 70000);
        using var run = new SparseRun(2);
        var e = Assert.Throws<InvalidDataException>(() => run.Load(path));
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("the file ends inside the mask of fc1.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_random_state_of_the_wrong_size_is_refused_instead_of_aborting_the_process()
    {
        // The random generator's state (the file's end: its length, then its bytes) cut to 100 bytes: libtorch's
        // set_state would abort the process (an uncaught c10::Error), so it must be refused before.
        string path = Path.Combine(folder, "rng.ckpt");
        using var run = new SparseRun(1);
        run.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        using var rng = TorchSharp.torch.random.get_rng_state();
        int length = (int)rng.numel();
        int at = bytes.Length - length - 4;
        Assert.Equal(length, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at)));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), 100);
        File.WriteAllBytes(path, bytes[..(at + 4 + 100)]);
        var e = Assert.Throws<InvalidDataException>(() => run.Load(path));
        Assert.Equal($"{path}: the checkpoint's random generator state has 100 bytes, libtorch's has {length}; the file is damaged, use another checkpoint.", e.Message);
    }
}
