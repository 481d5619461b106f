namespace GraNet.Sparsity.Methods;

/// <summary>The dense baseline: nothing is masked; FLOPs are reported for comparison.</summary>
public sealed class DenseMethod : SparsityMethod
{
    public override string Name => "dense";

    public override bool MasksWeights => false;
}
