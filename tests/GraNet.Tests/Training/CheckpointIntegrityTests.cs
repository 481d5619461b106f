using System.Buffers.Binary;
using GraNet.Data;
using GraNet.Models;
using GraNet.Sparsity;
using GraNet.Tests.Sparsity;
using GraNet.Training;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Training;

/// <summary>Damaged checkpoints (truncated, a flipped byte) are refused with one line naming the file; format-1 checkpoints (no checksum) still load.</summary>
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

        public float[] Weights() => Model.parameters().SelectMany(p => TinyNets.Values(p)).ToArray();

        public bool[] Masks() => Controller.Masks.Layers.SelectMany(l => TinyNets.Flat(l.Mask)).ToArray();

        public void Dispose()
        {
            Controller.Dispose();
            Model.Dispose();
        }
    }

    /// <summary>
    /// Turns a format-2 file into the format-1 file an earlier GraNet.NET wrote: the same bytes with version 1, no checksum
    /// trailer, and the sparsity state (if any) without its own checksummed frame, as states were then.
    /// </summary>
    internal static void ToVersion1(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 1);
        bytes = bytes[..^32];
        byte[] frame = [23, .. System.Text.Encoding.ASCII.GetBytes("GRANET-SPARSITY-STATE-3")];
        int at = bytes.AsSpan().IndexOf(frame);
        if (at >= 0)
        {
            // The frame: its first string, the length (int64) of the steps per epoch (int32) and state that follow, the SHA-256.
            int length = checked((int)BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + frame.Length)));
            int body = at + frame.Length + 8;
            bytes = [.. bytes[..at], .. bytes[(body + 4)..(body + length)], .. bytes[(body + length + 32)..]];
        }
        File.WriteAllBytes(path, bytes);
    }

    private static void Cut(string path, int bytes)
    {
        using var file = new FileStream(path, FileMode.Open);
        file.SetLength(file.Length - bytes);
    }

    [Fact]
    public void The_file_ends_with_the_sha256_of_everything_before_it()
    {
        string path = Path.Combine(folder, "a.ckpt");
        using var run = new SparseRun(1);
        run.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)), bytes[^32..]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_checkpoint_cut_inside_its_masks_is_refused_with_its_name(bool version1)
    {
        // The last ~5 KB are the random generator's state; the ~530 KB before it the masks (2 bytes
        // per weight of fc1 784x300, fc2 300x100, fc3 100x10). 70000 bytes off ends in fc1's ever-active record.
        string path = Path.Combine(folder, "cut.ckpt");
        using (var written = new SparseRun(1))
        {
            written.Save(path);
        }
        if (version1)
        {
            ToVersion1(path);
        }
        Cut(path, 70000);
        using var run = new SparseRun(2);
        var e = Assert.Throws<InvalidDataException>(() => run.Load(path));
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        // Format 1 has no checksum: the mask reader itself notices that the file ends early.
        Assert.Contains(version1 ? "ends inside the mask of fc1.weight" : "checksum mismatch", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_checkpoint_is_refused_also_when_only_the_weights_are_loaded()
    {
        // 'granet evaluate' and 'granet export' load the model only; they used the damaged file.
        string path = Path.Combine(folder, "cut.ckpt");
        using (var written = new SparseRun(1))
        {
            written.Save(path);
        }
        Cut(path, 70000);
        using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null, null));
        Assert.Contains($"{path}: the GraNet checkpoint is damaged (checksum mismatch)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_flipped_byte_in_the_weights_is_refused()
    {
        string path = Path.Combine(folder, "flip.ckpt");
        using var run = new SparseRun(1);
        Checkpoint.Save(path, Header(false), run.Model, null, null);
        byte[] bytes = File.ReadAllBytes(path);
        // The file is the 266,610 weights of LeNet-300-100 after a short header: the middle is a weight of fc1.
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null, null));
        Assert.StartsWith($"{path}: the GraNet checkpoint is damaged (checksum mismatch)", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("give a .ckpt file written by 'granet train'.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flipped_byte_in_the_header_is_refused_on_load_but_the_header_alone_is_still_readable()
    {
        string path = Path.Combine(folder, "header.ckpt");
        using var run = new SparseRun(1);
        Checkpoint.Save(path, Header(false) with { Configuration = "{\"note\":\"aaaa\"}" }, run.Model, null, null);
        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf("aaaa"u8);
        bytes[at] = (byte)'b';
        File.WriteAllBytes(path, bytes);
        Assert.Equal("{\"note\":\"baaa\"}", Checkpoint.ReadHeader(path).Configuration);
        Assert.Contains("checksum mismatch", Assert.Throws<InvalidDataException>(() => run.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_1_checkpoint_still_loads_weights_optimizer_and_masks()
    {
        string path = Path.Combine(folder, "v1.ckpt");
        using var written = new SparseRun(1);
        written.Save(path);
        ToVersion1(path);
        Assert.Equal(1, Checkpoint.ReadHeader(path).EpochsCompleted);
        using var run = new SparseRun(2);
        Assert.NotEqual(written.Weights(), run.Weights());
        run.Load(path);
        Assert.Equal(written.Weights(), run.Weights());
        Assert.Equal(written.Masks(), run.Masks());
        Assert.Equal(0.5, run.Controller.Masks.Density, 2);
    }

    [Fact]
    public void A_checkpoint_of_an_unknown_future_version_names_the_readable_ones()
    {
        string path = Path.Combine(folder, "v3.ckpt");
        using var run = new SparseRun(1);
        run.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 3);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadHeader(path));
        Assert.Contains($"{path}: GraNet checkpoint format 3, this version of GraNet.NET reads 1 to 2;", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_random_state_of_the_wrong_size_is_refused_instead_of_aborting_the_process()
    {
        // The random generator's state (the file's end: its length, then its bytes) cut to 100 bytes: libtorch's
        // set_state would abort the process (an uncaught c10::Error), so it must be refused before. In format 2
        // the checksum refuses the file first; format 1 has none.
        string path = Path.Combine(folder, "rng.ckpt");
        using var run = new SparseRun(1);
        run.Save(path);
        ToVersion1(path);
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
