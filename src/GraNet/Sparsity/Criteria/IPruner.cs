using GraNet.Sparsity.Masks;

namespace GraNet.Sparsity.Criteria;

/// <summary>Decides which weights a pruning event removes to reach a target overall density.</summary>
public interface IPruner
{
    /// <summary>Updates the masks so that about <paramref name="density"/> of all maskable weights stay active.</summary>
    void Prune(MaskSet masks, double density);

    /// <summary>
    /// Called when the controller is attached, before anything changes: refuses (with an <see cref="ArgumentException"/>)
    /// a final density this pruner cannot reach on these layers, so that the run is refused at its start rather than at
    /// its last pruning event.
    /// </summary>
    void RequireFeasible(MaskSet masks, double finalDensity)
    {
    }
}
