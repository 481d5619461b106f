using GraNet.Export;
using GraNet.Models;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Export;

/// <summary>Every state tensor comes back from a compact model with its type, shape and values, whatever its form.</summary>
public class CompactModelRoundTripTests : IDisposable
{
    private readonly string folder = TestFiles.TempFolder("granet-roundtrip");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>
    /// A 2→3 convolution with a non-square 1x2 kernel, batch norm (whose <c>num_batches_tracked</c> is int64),
    /// a non-square 3→5 linear layer and a 5→2 linear layer whose weight and bias are all zeros.
    /// </summary>
    private static Sequential Build(int seed)
    {
        manual_seed(seed);
        return nn.Sequential(
            ("conv", nn.Conv2d(2, 3, (1L, 2L))),
            ("bn", new ScalarSafeBatchNorm2d(3)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(3, 5)),
            ("empty", nn.Linear(5, 2)));
    }

    [Fact]
    public void Every_state_tensor_is_restored_exactly_including_int64_counters_and_empty_layers()
    {
        using var model = Build(1);
        using (no_grad())
        {
            // fc: 15 weights, 10 of them zeroed (stored sparse); empty: no non-zero value at all.
            using var keep = tensor(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1 }).reshape(5, 3);
            model.named_parameters().Single(p => p.name == "fc.weight").parameter.mul_(keep);
            model.named_parameters().Single(p => p.name == "empty.weight").parameter.zero_();
            model.named_parameters().Single(p => p.name == "empty.bias").parameter.zero_();
            model.train();
            for (int i = 0; i < 3; i++)
            {
                using var x = randn(4, 2, 1, 2);
                model.call(x).Dispose(); // num_batches_tracked becomes 3, running statistics move
            }
        }
        string path = Path.Combine(folder, "tiny.gsm");
        var header = CompactModel.Save(path, model, new CompactModelHeader("tiny", "x", 2, 1, 2, 2, "{}", []));
        Assert.Contains(header.Tensors, t => t.Name == "fc.weight" && t.Sparse && t.NonZero == 5);
        Assert.Contains(header.Tensors, t => t.Name == "empty.weight" && t.Sparse && t.NonZero == 0);
        Assert.Contains(header.Tensors, t => t.Name == "empty.bias" && t.Sparse && t.NonZero == 0);

        using var loaded = Build(2);
        using (no_grad())
        using (Scalar seven = 7.ToScalar())
        {
            foreach (var (_, value) in loaded.state_dict())
            {
                value.fill_(seven); // nothing of the fresh model may survive loading
            }
        }
        CompactModel.Load(path, loaded);
        var expected = model.state_dict();
        var actual = loaded.state_dict();
        Assert.Equal(expected.Keys, actual.Keys);
        Assert.Equal(3L, actual["bn.num_batches_tracked"].item<long>());
        foreach (var (name, value) in expected)
        {
            Assert.Equal(value.dtype, actual[name].dtype);
            Assert.Equal(value.shape, actual[name].shape);
            using var equal = value.eq(actual[name]);
            using var same = equal.all();
            Assert.True(same.item<bool>(), name);
        }
    }
}
