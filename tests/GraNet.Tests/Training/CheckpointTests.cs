using GraNet.Data;
using GraNet.Models;
using GraNet.Training;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Training;

public class CheckpointTests : IDisposable
{
    private readonly string folder = TestFiles.TempFolder("granet-ckpt");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static CheckpointHeader Header => new("lenet-300-100", "tiny", 2, 20, 1, 0.5, false,
        [new EpochMetrics(1, 1.5, 0.4, 0.5, 0.1, 2, 100, 0.01, new Dictionary<string, double> { ["density"] = 0.3 })], "{\"a\":1}");

    /// <summary>LeNet-300-100 for 28x28 images and 10 classes, its weights drawn after seeding with <paramref name="seed"/> when given.</summary>
    private static nn.Module<Tensor, Tensor> Mlp(int? seed = null)
    {
        if (seed is { } value)
        {
            manual_seed(value);
        }
        return ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
    }

    private static void AssertSameWeights(nn.Module a, nn.Module b) =>
        Assert.All(a.parameters().Zip(b.parameters()), p => Assert.True(p.First.eq(p.Second).all().item<bool>()));

    /// <summary>A checkpoint of <paramref name="model"/> saved as <paramref name="name"/>, its bytes then replaced by what <paramref name="damage"/> makes of them.</summary>
    private string SavedThenDamaged(string name, nn.Module model, Func<byte[], byte[]> damage)
    {
        string path = Path.Combine(folder, name);
        Checkpoint.Save(path, Header, model, null, null);
        File.WriteAllBytes(path, damage(File.ReadAllBytes(path)));
        return path;
    }

    [Fact]
    public void Checkpoint_file_names_are_made_and_read_in_one_place()
    {
        Assert.Equal(Path.Combine("run", "last.ckpt"), Trainer.LastCheckpoint("run"));
        Assert.Equal(Path.Combine("run", "best.ckpt"), Trainer.BestCheckpoint("run"));
        Assert.Equal(Path.Combine("run", "epoch-12.ckpt"), Trainer.EpochCheckpoint("run", 12));
        Assert.Equal(12, Trainer.KeptEpoch(Trainer.EpochCheckpoint("run", 12)));
        Assert.Equal(7, Trainer.KeptEpoch("epoch-07.ckpt"));
        foreach (string other in new[] { "last.ckpt", "epoch-0.ckpt", "epoch-.ckpt", "epoch-x.ckpt", "epoch--1.ckpt", "epoch- 3.ckpt", "epoch-3.ckpt.tmp", "epoch-3.gsm", "Epoch-3.ckpt", "epoch-99999999999.ckpt" })
        {
            Assert.Null(Trainer.KeptEpoch(Path.Combine("run", other)));
        }
    }

    [Fact]
    public void Header_and_weights_round_trip()
    {
        string path = Path.Combine(folder, "a.ckpt");
        using var model = Mlp(seed: 1);
        Checkpoint.Save(path, Header, model, null, null);
        var header = Checkpoint.ReadHeader(path);
        Assert.Equal((2, 20L, 1, 0.5, "{\"a\":1}"), (header.EpochsCompleted, header.Step, header.BestEpoch, header.BestValidationAccuracy!.Value, header.Configuration));
        Assert.Equal(0.3, header.History[0].Scalars["density"]);
        using var other = Mlp(seed: 2);
        Checkpoint.Load(path, other, null, null);
        AssertSameWeights(model, other);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void Resuming_restores_the_global_random_generator_as_it_was_saved()
    {
        // The checkpoint keeps the global generator's state, so a resumed run draws the numbers the uninterrupted one drew
        // next (dropout, random initialisations). Draw after saving, reseed the generator elsewhere, load: the same draw again.
        string path = Path.Combine(folder, "rng.ckpt");
        using var model = nn.Linear(3, 2);
        using var optimizer = new GraNet.Training.Optimizers.ScalarSafeSgd(model.parameters(), 0.1);
        manual_seed(11);
        Checkpoint.Save(path, Header, model, optimizer, null);
        static float[] Draw()
        {
            using var values = randn(5);
            return values.data<float>().ToArray();
        }
        float[] next = Draw();
        manual_seed(99);
        Assert.NotEqual(next, Draw());
        Checkpoint.Load(path, model, optimizer, null);
        Assert.Equal(next, Draw());
    }

    [Fact]
    public void A_header_refused_by_the_caller_restores_nothing_and_its_exception_reaches_the_caller_as_thrown()
    {
        string path = Path.Combine(folder, "c.ckpt");
        using var saved = Mlp(seed: 1);
        Checkpoint.Save(path, Header, saved, null, null);
        using var model = Mlp(seed: 2);
        float[][] before = [.. model.parameters().Select(p => p.data<float>().ToArray())];
        var refusal = new InvalidOperationException("another run");
        CheckpointHeader? seen = null;
        var e = Assert.Throws<InvalidOperationException>(() => Checkpoint.Load(path, model, null, null, header =>
        {
            seen = header;
            throw refusal;
        }));
        Assert.Same(refusal, e);
        Assert.Equal((2, 20L), (seen!.EpochsCompleted, seen.Step));
        Assert.Equal(before, model.parameters().Select(p => p.data<float>().ToArray()));
        // Accepted: the header seen is the one returned, and the weights are the saved ones.
        var returned = Checkpoint.Load(path, model, null, null, header => seen = header);
        Assert.Same(seen, returned);
        AssertSameWeights(saved, model);
    }

    [Fact]
    public void A_damaged_checkpoint_is_refused_before_the_caller_sees_its_header()
    {
        using var model = Mlp();
        string path = SavedThenDamaged("d.ckpt", model, bytes =>
        {
            bytes[bytes.Length / 2] ^= 1;
            return bytes;
        });
        bool called = false;
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null, null, _ => called = true));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.False(called);
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_named()
    {
        string path = Path.Combine(folder, "junk.ckpt");
        File.WriteAllText(path, "hello world, not a checkpoint");
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadHeader(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_checkpoint_is_named()
    {
        using var model = Mlp();
        string path = SavedThenDamaged("cut.ckpt", model, bytes => bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null, null));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loading_into_another_architecture_is_refused()
    {
        string path = Path.Combine(folder, "b.ckpt");
        using var model = Mlp();
        Checkpoint.Save(path, Header, model, null, null);
        using var other = ModelRegistry.Create("lenet5-caffe", new ImageShape(1, 28, 28), 10);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, other, null, null));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_checkpoint_says_what_to_give() =>
        Assert.Contains(".ckpt", Assert.Throws<FileNotFoundException>(() => Checkpoint.ReadHeader(Path.Combine(folder, "none.ckpt"))).Message, StringComparison.Ordinal);
}
