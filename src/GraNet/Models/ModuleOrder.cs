using static TorchSharp.torch;

namespace GraNet.Models;

/// <summary>
/// A model's modules in PyTorch's order: each module, then its children one after the other,
/// each with all of its own descendants (depth first, children in registration order). TorchSharp's
/// <c>named_modules()</c> lists a module's children before any grandchildren, so a classifier
/// registered after a <c>Sequential</c> of convolutions would come before them; "first layer" and
/// "last layer" mean the first and last in this order.
/// </summary>
public static class ModuleOrder
{
    /// <summary>Every module under <paramref name="model"/> (the model first, named ""), with its dotted name.</summary>
    public static IEnumerable<(string Name, nn.Module Module)> DepthFirst(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Walk(string.Empty, model);
    }

    private static IEnumerable<(string Name, nn.Module Module)> Walk(string name, nn.Module module)
    {
        yield return (name, module);
        foreach (var (childName, child) in module.named_children())
        {
            foreach (var entry in Walk(name.Length == 0 ? childName : name + "." + childName, child))
            {
                yield return entry;
            }
        }
    }
}
