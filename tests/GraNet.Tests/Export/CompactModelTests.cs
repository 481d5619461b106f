using GraNet.Data;
using GraNet.Export;
using GraNet.Models;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Export;

public class CompactModelTests : IDisposable
{
    private readonly string folder = TestFiles.TempFolder("granet-compact");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static CompactModelHeader Header(string model, ImageShape shape) => new(model, "x", shape.Channels, shape.Height, shape.Width, 10, "{}", []);

    /// <summary>Builds a model, prunes its weights globally to <paramref name="density"/> and runs a few BN-updating forwards.</summary>
    private static nn.Module<Tensor, Tensor> Pruned(string name, ImageShape shape, double density)
    {
        manual_seed(4);
        var model = ModelRegistry.Create(name, shape, 10);
        using var masks = MaskSet.ForModel(model, null);
        new GlobalMagnitudePruner().Prune(masks, density);
        masks.Apply();
        model.train();
        using (no_grad())
        {
            using var x = randn(4, shape.Channels, shape.Height, shape.Width);
            using var y = model.call(x);
        }
        return model;
    }

    [Theory]
    [InlineData("lenet5-caffe", 1, 28, 0.05)]
    [InlineData("resnet20", 3, 32, 0.1)]
    public void Loading_gives_the_same_logits_as_the_masked_dense_model(string name, int channels, int size, double density)
    {
        var shape = new ImageShape(channels, size, size);
        using var model = Pruned(name, shape, density);
        string path = Path.Combine(folder, name + ".gsm");
        CompactModel.Save(path, model, Header(name, shape));
        manual_seed(99);
        using var loaded = ModelRegistry.Create(name, shape, 10);
        CompactModel.Load(path, loaded);
        model.eval();
        loaded.eval();
        using var guard = no_grad();
        using var x = randn(8, channels, size, size);
        using var a = model.call(x);
        using var b = loaded.call(x);
        Assert.True((a - b).abs().max().item<float>() <= 1e-5f);
    }

    [Fact]
    public void At_95_percent_sparsity_the_file_is_at_most_12_percent_of_the_dense_model()
    {
        var shape = new ImageShape(1, 28, 28);
        using var model = Pruned("lenet5-caffe", shape, 0.05);
        string path = Path.Combine(folder, "small.gsm");
        var header = CompactModel.Save(path, model, Header("lenet5-caffe", shape));
        long dense = model.state_dict().Values.Sum(t => t.numel() * t.ElementSize);
        Assert.True(new FileInfo(path).Length <= 0.12 * dense, $"{new FileInfo(path).Length} of {dense} bytes");
        Assert.Contains(header.Tensors, t => t.Name == "fc3.weight" && t.Sparse);
        Assert.Contains(header.Tensors, t => t.Name == "fc3.bias" && !t.Sparse);
    }

    /// <summary>A LeNet-5-Caffe pruned to density 0.2, saved as <c>m.gsm</c> in the test's folder; its path.</summary>
    private string SavedLeNet5(ImageShape shape)
    {
        using var model = Pruned("lenet5-caffe", shape, 0.2);
        string path = Path.Combine(folder, "m.gsm");
        CompactModel.Save(path, model, Header("lenet5-caffe", shape));
        return path;
    }

    [Fact]
    public void A_file_of_another_model_or_a_damaged_file_is_refused_with_its_name()
    {
        var shape = new ImageShape(1, 28, 28);
        string path = SavedLeNet5(shape);
        using var other = ModelRegistry.Create("lenet-300-100", shape, 10);
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => CompactModel.Load(path, other)).Message, StringComparison.Ordinal);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        using var same = ModelRegistry.Create("lenet5-caffe", shape, 10);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => CompactModel.Load(path, same)).Message, StringComparison.Ordinal);
        File.WriteAllText(path, "not a model");
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => CompactModel.ReadHeader(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_refused_for_its_last_tensor_or_the_models_precision_leaves_the_model_as_it_was()
    {
        // A file of a 10-class LeNet-5 into a 12-class one: every tensor matches but the classifier's, the last. They were
        // written into the model before the classifier was refused.
        var shape = new ImageShape(1, 28, 28);
        string path = SavedLeNet5(shape);
        manual_seed(9);
        using var twelve = ModelRegistry.Create("lenet5-caffe", shape, 12);
        float[] Values(nn.Module m) => m.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        var before = Values(twelve);
        var e = Assert.Throws<InvalidDataException>(() => CompactModel.Load(path, twelve));
        Assert.Equal($"{path}: tensor fc4.weight 10x500 does not match the model; the file does not belong to model 'lenet5-caffe'.", e.Message);
        Assert.Equal(before, Values(twelve));

        using var wide = ModelRegistry.Create("lenet5-caffe", shape, 10);
        wide.to(ScalarType.Float64);
        e = Assert.Throws<InvalidDataException>(() => CompactModel.Load(path, wide));
        Assert.Equal($"{path}: the model's tensor conv1.weight is Float64; compact models hold float32 weights (and int64 counters): load into a float32 model (model.to(ScalarType.Float32)).", e.Message);
    }
}
