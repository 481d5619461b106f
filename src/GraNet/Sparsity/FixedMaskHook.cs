using GraNet.Sparsity.Masks;
using GraNet.Training;
using static TorchSharp.torch;

namespace GraNet.Sparsity;

/// <summary>
/// Holds given masks fixed during training: after every optimizer step inactive weights and
/// their optimizer state are set to 0. Used to continue training a pruned network (the
/// pruning-plasticity study). The masks are copied at <see cref="Attach"/>, one per maskable
/// layer in module order.
/// </summary>
/// <param name="masks">One mask per maskable layer, in module order.</param>
/// <param name="denseFirstLayer">The first convolution or linear layer is not maskable (as with <see cref="SparsityOptions.DenseFirstLayer"/>): it stays dense and gets no mask.</param>
public sealed class FixedMaskHook(IReadOnlyList<Tensor> masks, bool denseFirstLayer = false) : ITrainingHook, IDisposable
{
    private MaskSet? set;

    public MaskSet Masks => set ?? throw new InvalidOperationException("The hook is not attached yet.");

    public bool ReadyForSelection => true;

    public void Attach(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(masks);
        set = MaskSet.ForModel(context.Model, context.Optimizer, denseFirstLayer);
        if (set.Layers.Count != masks.Count)
        {
            throw new ArgumentException($"{masks.Count} masks given for the model's {set.Layers.Count} maskable layers ({string.Join(", ", set.Layers.Select(l => l.Name))}); give one per layer, in that order.");
        }
        for (int l = 0; l < masks.Count; l++)
        {
            if (masks[l].numel() != set.Layers[l].Count)
            {
                throw new ArgumentException($"Mask {l} has {masks[l].numel()} entries, layer {set.Layers[l].Name} {set.Layers[l].Count} (shape [{string.Join(", ", set.Layers[l].Shape)}]); give each layer a mask of its weight's shape, in the order of the layers.");
            }
            set.Layers[l].SetMask(masks[l]);
        }
        set.ResetEverActive();
        set.Apply();
    }

    public void AfterOptimizerStep(long step)
    {
        using var scope = NewDisposeScope(); // the optimizer's state is read through new tensor objects
        Masks.Apply();
    }

    public IReadOnlyDictionary<string, double> EpochScalars() => new Dictionary<string, double> { ["density"] = Math.Round(Masks.Density, 6) };

    public void Save(BinaryWriter writer) => Masks.Save(writer);

    public void Load(BinaryReader reader) => Masks.Load(reader);

    public void Dispose() => set?.Dispose();
}
