using System.Globalization;

namespace GraNet.Sparsity.Methods;

/// <summary>
/// The one place where options become a method: the built-in methods' constructors are internal, and each builds its
/// pieces from the options it is given here, after they are checked against the run.
/// </summary>
public static class SparsityMethodFactory
{
    /// <summary>The method <paramref name="options"/> name, for a run of <paramref name="steps"/>, after checking the options against the run.</summary>
    /// <param name="epochsName">What the caller calls the run's length in a refusal (default "the run's epochs").</param>
    /// <exception cref="OptionValueException">An option is out of range for this run.</exception>
    public static SparsityMethod Create(SparsityOptions options, StepPlan steps, string? epochsName = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        options.Validate(steps.Epochs, epochsName ?? "the run's epochs");
        if (options.IsPruningMethod && steps.StepOfEpoch(options.PruneEndEpoch) <= steps.StepOfEpoch(options.PruneStartEpoch))
        {
            throw new OptionValueException(nameof(SparsityOptions), nameof(SparsityOptions.PruneEndEpoch), options.PruneEndEpoch,
                string.Create(CultureInfo.InvariantCulture, $"must be at least one step after {nameof(SparsityOptions)}.{nameof(SparsityOptions.PruneStartEpoch)} {options.PruneStartEpoch}: at {steps.StepsPerEpoch} steps per epoch both fall on step {steps.StepOfEpoch(options.PruneStartEpoch)}"));
        }
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
