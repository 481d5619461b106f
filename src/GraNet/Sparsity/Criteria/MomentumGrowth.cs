using GraNet.Runtime;
using GraNet.Sparsity.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Sparsity.Criteria;

/// <summary>
/// SNFS's growth score (spec §5): the magnitude of the momentum of the optimizer that trains the
/// model, at every position, active or not. The optimizer's own state is masked after every step
/// (spec §2), so it is zero at inactive positions and cannot rank them; this score therefore keeps
/// a dense copy that follows the optimizer's rule, with the hyperparameters that the weight's
/// parameter group has at each step (a scheduler may change them), on the raw gradients after every step, and saves it with checkpoints:
/// <list type="bullet">
/// <item><b>SGD</b> (momentum μ, dampening d): the buffer <c>b ← g</c> at the first step, then
/// <c>b ← μ·b + (1 − d)·g</c>; the score is <c>|b|</c>. With Nesterov the buffer is the same and is
/// what scores (the step's <c>g + μ·b</c> is a look-ahead, not a momentum). Without momentum (μ = 0)
/// the buffer is the current gradient (times 1 − d after the first step), so the score ranks as
/// <see cref="GradientGrowth"/> does.</item>
/// <item><b>Adam, AdamW</b> (β1, β2): <c>m ← β1·m + (1 − β1)·g</c> and <c>v ← β2·v + (1 − β2)·g²</c>
/// from 0; the score is <c>|m| / (√v + 1e-8)</c>. Bias correction is left out, as in the spec: it
/// divides a layer's <c>m</c> and <c>v</c> by the same factors at every position (the copy of a layer
/// starts at one step), which scales the score and turns 1e-8 into a smaller constant, so it changes
/// the ranking only among positions whose <c>√v</c> is of the order of 1e-8. With AMSGrad the score
/// still uses <c>v</c>, not its running maximum.</item>
/// </list>
/// Weight decay (<c>λ·w</c>) is left out: it is 0 wherever the weight was inactive. Other
/// optimizers, or masks made without an optimizer, are refused with an <see cref="ArgumentException"/>
/// by <see cref="RequireSupported(MaskSet)"/> (the controller calls it at <c>Create</c>), and by <see cref="AfterStep"/>. Like <see cref="GradientGrowth"/>, a growth event refuses
/// a model whose gradients were cleared before the mask update.
/// </summary>
public sealed class MomentumGrowth : IGrowthScore, IDisposable
{
    /// <summary>Starts a checkpoint section of this format; the first, untagged one began with the (non-negative) layer count.</summary>
    private const int FormatTag = -2;

    private const double Epsilon = 1e-8;

    private readonly Dictionary<string, Moments> moments = [];

    /// <summary>How the dense copy follows the optimizer.</summary>
    private enum Rule : byte
    {
        /// <summary>SGD's momentum buffer.</summary>
        Sgd = 1,

        /// <summary>Adam's first and second moments.</summary>
        Adam = 2,
    }

    /// <summary>A rule with the hyperparameters of one parameter group: (μ, d) for SGD, (β1, β2) for Adam.</summary>
    private readonly record struct Mirror(Rule Rule, double First, double Second)
    {
        public static Mirror Of(OptimizerOptions options, string optimizer) => options switch
        {
            SGD.Options sgd => new(Rule.Sgd, sgd.momentum ?? 0, sgd.dampening ?? 0),
            Adam.Options adam => new(Rule.Adam, adam.beta1 ?? 0.9, adam.beta2 ?? 0.999),
            AdamW.Options adamW => new(Rule.Adam, adamW.beta1 ?? 0.9, adamW.beta2 ?? 0.999),
            _ => throw new ArgumentException($"Momentum growth (snfs) follows the momentum of SGD, Adam or AdamW, not of {optimizer}; use gradient or random growth (SparsityOptions.Growth) with it.", "masks"),
        };
    }

    /// <summary>A layer's dense copy: SGD's buffer, or Adam's m and v.</summary>
    private sealed record Moments(Rule Rule, Tensor First, Tensor? Second) : IDisposable
    {
        public void Dispose()
        {
            First.Dispose();
            Second?.Dispose();
        }
    }

    /// <summary>Refuses an optimizer whose momentum this score cannot follow (see the class summary); <see cref="AfterStep"/> refuses it too.</summary>
    /// <exception cref="ArgumentException">The optimizer is not SGD, Adam or AdamW (or a subclass keeping their options).</exception>
    public static void RequireSupported(optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        foreach (var options in OptimizerStateAccess.ParameterOptions(optimizer))
        {
            _ = Mirror.Of(options, optimizer.GetType().Name);
        }
    }

    /// <summary>Refuses masks without an optimizer, or with one whose momentum this score cannot follow.</summary>
    /// <exception cref="ArgumentException">See <see cref="RequireSupported(optim.Optimizer)"/>; or the masks have no optimizer.</exception>
    public void RequireSupported(MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        RequireSupported(masks.Optimizer ?? throw new ArgumentException("Momentum growth follows the optimizer's momentum; make the masks with the optimizer that trains the model.", nameof(masks)));
    }

    /// <summary>The mirror of each masked layer, from the optimizer's current parameter groups.</summary>
    private static Mirror[] MirrorsOf(MaskSet masks)
    {
        var optimizer = masks.Optimizer ?? throw new ArgumentException("Momentum growth follows the optimizer's momentum; make the masks with the optimizer that trains the model.", nameof(masks));
        var options = OptimizerStateAccess.ParameterOptions(optimizer);
        return masks.Layers.Select(l => Mirror.Of(options[l.OptimizerIndex], optimizer.GetType().Name)).ToArray();
    }

    /// <exception cref="ArgumentException">The masks have no optimizer, or one whose momentum this score cannot follow.</exception>
    public void AfterStep(MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        // Read at every step, as the optimizer reads its groups: a scheduler may change the momentum or the betas during the run
        // (OneCycleLR cycles SGD's momentum). It walks the groups once, as the masking of the step's optimizer state does.
        var mirrors = MirrorsOf(masks);
        using var guard = no_grad();
        for (int l = 0; l < masks.Layers.Count; l++)
        {
            using var scope = NewDisposeScope();
            var layer = masks.Layers[l];
            var grad = layer.Weight.grad;
            if (grad is null || grad.IsInvalid)
            {
                continue;
            }
            var mirror = mirrors[l];
            if (!moments.TryGetValue(layer.Name, out var state))
            {
                if (mirror.Rule == Rule.Sgd)
                {
                    // SGD's buffer starts as the first gradient, undamped.
                    moments[layer.Name] = new Moments(Rule.Sgd, grad.detach().clone().DetachFromDisposeScope(), null);
                    continue;
                }
                state = new Moments(Rule.Adam, zeros_like(grad).DetachFromDisposeScope(), zeros_like(grad).DetachFromDisposeScope());
                moments[layer.Name] = state;
            }
            if (mirror.Rule == Rule.Sgd)
            {
                using Scalar momentum = mirror.First.ToScalar(), undamped = (1 - mirror.Second).ToScalar();
                state.First.mul_(momentum).add_(grad, undamped);
            }
            else
            {
                using Scalar beta1 = mirror.First.ToScalar(), new1 = (1 - mirror.First).ToScalar();
                using Scalar beta2 = mirror.Second.ToScalar(), new2 = (1 - mirror.Second).ToScalar();
                state.First.mul_(beta1).add_(grad, new1);
                state.Second!.mul_(beta2).addcmul_(grad, grad, new2);
            }
        }
    }

    /// <exception cref="InvalidOperationException">Every gradient of the model is zero or undefined (cleared before the mask update).</exception>
    public void RequireReady(MaskSet masks) => GrowthGradient.RequireSome(masks, "momentum");

    /// <exception cref="InvalidOperationException">Every gradient of the model is zero or undefined (cleared before the mask update), or <see cref="AfterStep"/> never saw this layer's gradient.</exception>
    public Tensor Score(MaskedLayer layer, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var grad = GrowthGradient.Of(layer, masks, "momentum");
        if (!moments.TryGetValue(layer.Name, out var state))
        {
            return grad is null
                ? zeros_like(layer.Weight)
                : throw new InvalidOperationException($"Momentum growth has no momentum of {layer.Name} although it has a gradient: call its AfterStep after every optimizer step, before the mask update.");
        }
        if (state.Rule == Rule.Sgd)
        {
            return state.First.abs();
        }
        using Scalar epsilon = Epsilon.ToScalar();
        using var root = state.Second!.sqrt();
        root.add_(epsilon, HeldScalars.One);
        return state.First.abs().div_(root);
    }

    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatTag);
        writer.Write(moments.Count);
        foreach (var (name, state) in moments)
        {
            writer.Write(name);
            writer.Write((byte)state.Rule);
            writer.Write(state.First.numel());
            WriteValues(writer, state.First);
            if (state.Second is { } second)
            {
                WriteValues(writer, second);
            }
        }
    }

    private static void WriteValues(BinaryWriter writer, Tensor values)
    {
        using var host = values.to(ScalarType.Float32, CPU);
        using var contiguous = host.contiguous();
        writer.Write(contiguous.bytes);
    }

    /// <summary>
    /// Reads what <see cref="Save"/> wrote, each tensor in its layer's shape, device and type. A
    /// checkpoint of the first format (a β = 0.9 momentum without dampening, whatever the optimizer)
    /// is read only where that is what this run's optimizer keeps: SGD at momentum 0.9 without dampening.
    /// </summary>
    /// <exception cref="InvalidDataException">A saved momentum names no masked layer of <paramref name="masks"/>, differs from it in size, or was kept for another optimizer.</exception>
    /// <exception cref="ArgumentException">The masks have no optimizer, or one whose momentum this score cannot follow.</exception>
    public void Load(BinaryReader reader, MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(masks);
        var mirrors = MirrorsOf(masks);
        int head = reader.ReadInt32();
        bool firstFormat = head >= 0;
        if (!firstFormat && head != FormatTag)
        {
            throw new InvalidDataException($"The checkpoint's growth momentum has an unknown format ({head}); resume with the GraNet version that wrote it.");
        }
        if (firstFormat && mirrors.Any(m => m != new Mirror(Rule.Sgd, 0.9, 0)))
        {
            throw new InvalidDataException("The checkpoint's growth momentum was written by an older GraNet, which kept a momentum of β = 0.9 without dampening whatever the optimizer; this run's optimizer keeps another, so the run cannot continue from it: train it again, or resume with SGD at momentum 0.9 without dampening.");
        }
        int count = firstFormat ? head : reader.ReadInt32();
        // Read whole before the momenta held now are replaced: a refused checkpoint leaves them as they were.
        var read = new Dictionary<string, Moments>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var (name, state) = ReadMoments(reader, masks, mirrors, firstFormat);
                read[name] = state;
            }
        }
        catch
        {
            foreach (var state in read.Values)
            {
                state.Dispose();
            }
            throw;
        }
        Dispose();
        foreach (var (name, state) in read)
        {
            moments[name] = state;
        }
    }

    private static (string Name, Moments State) ReadMoments(BinaryReader reader, MaskSet masks, IReadOnlyList<Mirror> mirrors, bool firstFormat)
    {
        string name = reader.ReadString();
        var rule = firstFormat ? Rule.Sgd : (Rule)reader.ReadByte();
        long size = reader.ReadInt64();
        int index = masks.Layers.ToList().FindIndex(l => l.Name == name);
        if (index < 0 || masks.Layers[index].Count != size)
        {
            throw new InvalidDataException($"The checkpoint's growth momentum of {name} ({size} weights) matches no masked layer of this model; resume with the same model.");
        }
        if (rule != mirrors[index].Rule)
        {
            throw new InvalidDataException($"The checkpoint's growth momentum of {name} follows {rule}, this run's optimizer is {masks.Optimizer!.GetType().Name}; resume with the same optimizer.");
        }
        var layer = masks.Layers[index];
        var first = ReadValues(reader, layer, name);
        try
        {
            return (name, new Moments(rule, first, rule == Rule.Adam ? ReadValues(reader, layer, name) : null));
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    private static Tensor ReadValues(BinaryReader reader, MaskedLayer layer, string name)
    {
        byte[] bytes = reader.ReadBytes(checked((int)layer.Count * sizeof(float)));
        if (bytes.Length != layer.Count * sizeof(float))
        {
            throw new InvalidDataException($"The saved state ends inside the growth momentum of {name} (a truncated file); give the whole of what Save wrote.");
        }
        var values = new float[layer.Count];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        using var flat = tensor(values);
        using var shaped = flat.reshape(layer.Shape);
        return shaped.to(layer.Weight.dtype, layer.Weight.device).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var state in moments.Values)
        {
            state.Dispose();
        }
        moments.Clear();
    }
}
