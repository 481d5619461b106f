using GraNet.Sparsity.Masks;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

public class MaskSetTests
{
    [Fact]
    public void A_weight_off_the_CPU_is_refused_naming_it_and_its_device()
    {
        // Masks are made and selected in CPU memory: a weight elsewhere (libtorch's data-less "meta" device, which every
        // build has) would meet a CPU mask at the first Apply, inside libtorch.
        using var model = nn.Sequential(("fc", nn.Linear(4, 2)), ("out", nn.Linear(2, 2)));
        model.to(new Device(DeviceType.META));
        var refused = Assert.Throws<ArgumentException>(() => MaskSet.ForModel(model, null));
        Assert.Equal("fc.weight is on meta: the masks and their selections run in CPU memory only; move the model to the CPU (model.to(CPU)) before creating its optimizer and the masks.", refused.Message);
    }

    [Fact]
    public void Loading_restores_the_masks_and_the_ever_active_record()
    {
        // One linear layer of 2 x 4 = 8 weights. Mask A keeps positions 0..3, mask B keeps 2..5: after A (the record's start)
        // and then B, the mask is B (4 of 8 active) and the ever-active record A or B = positions 0..5, 6 of 8 = 0.75.
        // A fresh mask set (every position active and ever active) that loads this state must report 4 and 0.75, not 1.
        using var model = nn.Sequential(("fc", nn.Linear(4, 2)));
        using var masks = MaskSet.ForModel(model, null);
        using (var a = tensor(new[] { true, true, true, true, false, false, false, false }))
        {
            masks.Layers[0].SetMask(a);
        }
        masks.ResetEverActive();
        using (var b = tensor(new[] { false, false, true, true, true, true, false, false }))
        {
            masks.Layers[0].SetMask(b);
        }
        Assert.Equal((4L, 0.75), (masks.Active, masks.EverActiveFraction));
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            masks.Save(writer);
        }
        stream.Position = 0;

        using var other = nn.Sequential(("fc", nn.Linear(4, 2)));
        using var loaded = MaskSet.ForModel(other, null);
        using (var reader = new BinaryReader(stream))
        {
            loaded.Load(reader);
        }
        Assert.Equal((4L, 0.75), (loaded.Active, loaded.EverActiveFraction));
        using var ever = loaded.Layers[0].EverActive.flatten();
        Assert.Equal([true, true, true, true, true, true, false, false], ever.data<bool>().ToArray());
    }
}
