using BenchmarkDotNet.Attributes;
using GraNet.Data;
using GraNet.Models;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
using static TorchSharp.torch;

namespace GraNet.Benchmarks;

/// <summary>
/// One GraNet mask update: global magnitude pruning by 10 % of the active weights, then
/// regeneration of half of what each layer lost by gradient (gradients from one batch).
/// </summary>
public class MaskUpdateBenchmarks
{
    private nn.Module<Tensor, Tensor> model = null!;
    private MaskSet masks = null!;
    private byte[] saved = [];

    [Params("lenet5-caffe", "vgg19", "resnet50")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var spec = Model == "lenet5-caffe" ? DatasetCatalog.FashionMnist : DatasetCatalog.Cifar10;
        manual_seed(1);
        model = ModelRegistry.Create(Model, spec.Shape, spec.Classes);
        masks = MaskSet.ForModel(model, null);
        new GlobalMagnitudePruner().Prune(masks, 0.2);
        masks.Apply();
        using var x = randn(8, spec.Shape.Channels, spec.Shape.Height, spec.Shape.Width);
        using var y = randint(0, spec.Classes, [8]);
        model.train();
        using var loss = nn.functional.cross_entropy(model.call(x), y);
        loss.backward();
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            masks.Save(writer);
        }
        saved = stream.ToArray();
    }

    /// <summary>Every update starts from the same masks.</summary>
    [IterationSetup]
    public void Restore()
    {
        using var reader = new BinaryReader(new MemoryStream(saved));
        masks.Load(reader);
    }

    [Benchmark]
    public void PruneAndRegenerate()
    {
        new GlobalMagnitudePruner().Prune(masks, masks.Density * 0.9);
        masks.Apply();
        new Regenerator(new GradientGrowth()).Regenerate(masks, 0.5);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        masks.Dispose();
        model.Dispose();
    }
}
