using GraNet.Sparsity.Masks;

namespace GraNet.Sparsity.Criteria;

/// <summary>Decides which weights a pruning event removes to reach a target overall density.</summary>
public interface IPruner
{
    /// <summary>Updates the masks so that about <paramref name="density"/> of all maskable weights stay active.</summary>
    void Prune(MaskSet masks, double density);
}
