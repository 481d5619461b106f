namespace GraNet.Sparsity.Methods;

/// <summary>The one place where options become a method.</summary>
public static class SparsityMethodFactory
{
    public static SparsityMethod Create(SparsityOptions options, StepPlan steps)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Method switch
        {
            SparsityMethodKind.GraNet => new GraNetMethod(options, steps, layerwise: false),
            SparsityMethodKind.GraNetUniform => new GraNetMethod(options, steps, layerwise: true),
            SparsityMethodKind.Gmp => new GmpMethod(options, steps, layerwise: false),
            SparsityMethodKind.GmpUniform => new GmpMethod(options, steps, layerwise: true),
            SparsityMethodKind.RigL => DynamicSparseMethod.RigL(options, steps),
            SparsityMethodKind.Set => DynamicSparseMethod.Set(options, steps),
            SparsityMethodKind.Snfs => DynamicSparseMethod.Snfs(options, steps),
            SparsityMethodKind.Static => new StaticSparseMethod(options),
            SparsityMethodKind.Dense => new DenseMethod(),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Method, "Unknown method."),
        };
    }
}
