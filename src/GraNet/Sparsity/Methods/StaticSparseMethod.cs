namespace GraNet.Sparsity.Methods;

/// <summary>A random sparse mask at <c>d_f</c>, fixed for the whole run.</summary>
public sealed class StaticSparseMethod : SparsityMethod
{
    public StaticSparseMethod(SparsityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        StartDensity = options.FinalDensity;
        Distribution = DistributionOf(options);
    }

    public override string Name => "static";
}
