namespace GraNet.Sparsity.Methods;

/// <summary>The dense baseline: nothing is masked; FLOPs are reported for comparison.</summary>
public sealed record DenseMethod : SparsityMethod
{
    public DenseMethod()
        : base("dense")
    {
    }

    public override bool MasksWeights => false;
}
