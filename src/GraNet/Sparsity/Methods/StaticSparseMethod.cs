namespace GraNet.Sparsity.Methods;

/// <summary>A random sparse mask at <c>d_f</c>, fixed for the whole run.</summary>
public sealed record StaticSparseMethod : SparsityMethod
{
    internal StaticSparseMethod(SparsityOptions options)
        : base("static")
    {
        ArgumentNullException.ThrowIfNull(options);
        StartDensity = options.FinalDensity;
        Distribution = DistributionOf(options);
    }
}
