using GraNet.Data;
using GraNet.Models;
using GraNet.Sparsity;
using GraNet.Sparsity.Masks;
using GraNet.Training.Optimizers;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// "First" and "last" layer follow PyTorch's module order (depth first), not TorchSharp's
/// <c>named_modules()</c>, which lists a module's children before its grandchildren.
/// </summary>
public sealed class ModuleOrderTests
{
    /// <summary>A nested body (registered first) and a classifier head after it.</summary>
    private sealed class Nested : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential body;
        private readonly Linear head;

        public Nested() : base("nested")
        {
            body = nn.Sequential(("inner", nn.Sequential(("a", nn.Linear(40, 30)), ("b", nn.Linear(30, 30)))), ("c", nn.Linear(30, 20)));
            head = nn.Linear(20, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var hidden = body.call(input);
            return head.call(hidden);
        }
    }

    [Fact]
    public void Modules_come_depth_first_in_registration_order()
    {
        using var model = new Nested();
        var names = ModuleOrder.DepthFirst(model).Select(m => m.Name).ToArray();
        Assert.Equal(["", "body", "body.inner", "body.inner.a", "body.inner.b", "body.c", "head"], names);
        // The same modules as TorchSharp's own listing, only in another order.
        Assert.Equal(model.named_modules().Select(m => m.name).Order(), names.Where(n => n.Length > 0).Order());
    }

    [Fact]
    public void Masks_list_a_nested_model_in_forward_order()
    {
        using var model = new Nested();
        using var masks = MaskSet.ForModel(model, null);
        Assert.Equal(["body.inner.a.weight", "body.inner.b.weight", "body.c.weight", "head.weight"], masks.Layers.Select(l => l.Name));
    }

    [Theory]
    [InlineData("resnet20", "stem.conv.weight", "fc.weight")]
    [InlineData("vgg16", "features.conv0.weight", "classifier.weight")]
    public void Dense_first_layer_keeps_the_stem_and_masks_the_classifier(string name, string stem, string classifier)
    {
        using var model = ModelRegistry.Create(name, new ImageShape(3, 32, 32), 10);
        using var all = MaskSet.ForModel(model, null);
        Assert.Equal(stem, all.Layers[0].Name);
        Assert.Equal(classifier, all.Layers[^1].Name);
        using var withDenseFirst = MaskSet.ForModel(model, null, denseFirstLayer: true);
        Assert.DoesNotContain(withDenseFirst.Layers, l => l.Name == stem);
        Assert.Equal(classifier, withDenseFirst.Layers[^1].Name);
        Assert.Equal(all.Layers.Count - 1, withDenseFirst.Layers.Count);
    }

    [Fact]
    public void The_classifier_rule_holds_the_last_layer_of_a_nested_model_at_0_2()
    {
        using var model = new Nested();
        using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1);
        var options = new SparsityOptions { Method = SparsityMethodKind.GmpUniform, InitDensity = 1, FinalDensity = 0.1, PruneStartEpoch = 0, PruneEndEpoch = 1, UpdateInterval = 1 };
        using var controller = SparsityController.Create(model, optimizer, options, stepsPerEpoch: 2, epochs: 1, sampleShape: [40]);
        controller.AfterOptimizerStep(1);
        controller.AfterOptimizerStep(2);
        var head = controller.Masks.Layers.Single(l => l.Name == "head.weight");
        Assert.Equal(40, head.ActiveCount); // round(0.2 · 200)
    }

    [Fact]
    public void Masks_saved_in_another_layer_order_load_by_name()
    {
        using var model = new Nested();
        using var masks = MaskSet.ForModel(model, null);
        var layers = masks.Layers;
        using (no_grad())
        {
            for (int l = 0; l < layers.Count; l++)
            {
                int every = l + 2;
                using var flat = tensor(Enumerable.Range(0, (int)layers[l].Count).Select(i => i % every == 0).ToArray());
                using var mask = flat.reshape(layers[l].Shape);
                layers[l].SetMask(mask);
            }
        }
        long[] active = layers.Select(l => l.ActiveCount).ToArray();
        // What TorchSharp's named_modules() order wrote before: the head first.
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(layers.Count);
            foreach (var layer in layers.Reverse())
            {
                writer.Write(layer.Name);
                writer.Write(layer.Count);
                writer.Write(layer.Mask.bytes);
                writer.Write(layer.EverActive.bytes);
            }
        }
        using var fresh = new Nested();
        using var loaded = MaskSet.ForModel(fresh, null);
        stream.Position = 0;
        using (var reader = new BinaryReader(stream))
        {
            loaded.Load(reader);
        }
        Assert.Equal(active, loaded.Layers.Select(l => l.ActiveCount));
        Assert.Equal([600, 300, 150, 40], active); // every 2nd, 3rd, 4th, 5th weight
    }

    [Fact]
    public void A_dense_first_checkpoint_of_the_old_order_is_named_for_what_it_is()
    {
        // Before depth-first order, --dense-first on ResNet kept fc dense and masked the stem; such a checkpoint lists the
        // stem, which this version keeps dense.
        using var model = ModelRegistry.Create("resnet20", new ImageShape(3, 32, 32), 10);
        using var masks = MaskSet.ForModel(model, null, denseFirstLayer: true);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(masks.Layers.Count);
            writer.Write("stem.conv.weight");
            writer.Write(16L * 3 * 3 * 3);
        }
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        var e = Assert.Throws<InvalidDataException>(() => masks.Load(reader));
        Assert.StartsWith("The checkpoint masks stem.conv.weight, which this version keeps dense as the first layer (SparsityOptions.DenseFirstLayer): it was written before layers followed PyTorch's module order", e.Message, StringComparison.Ordinal);
    }
}
