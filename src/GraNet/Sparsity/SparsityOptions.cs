namespace GraNet.Sparsity;

/// <summary>
/// Typed options of a sparse-training method. Epochs (the pruning window) are turned into steps once, by
/// <see cref="Methods.SparsityMethodFactory"/> with the run's <see cref="Methods.StepPlan"/>, whose steps per epoch the trainer gives.
/// </summary>
public sealed record SparsityOptions
{
    /// <summary>The method (spec §5): granet, granet-uniform, gmp, gmp-uniform, rigl, set, snfs, static or dense.</summary>
    public SparsityMethodKind Method { get; init; } = SparsityMethodKind.GraNet;

    /// <summary>How the initial density is spread over the layers: ERK, ER or uniform (spec §1).</summary>
    public DistributionKind Distribution { get; init; } = DistributionKind.ERK;

    /// <summary><c>d_i</c>: 1.0 is dense-to-sparse; used by the pruning methods (granet, gmp).</summary>
    public double InitDensity { get; init; } = 1.0;

    /// <summary><c>d_f</c>: the density at the end (and throughout for rigl, set, snfs, static).</summary>
    public double FinalDensity { get; init; } = 0.05;

    /// <summary><c>ΔT</c>, in optimizer steps.</summary>
    public int UpdateInterval { get; init; } = 100;

    /// <summary><c>t0</c>, in epochs (fractions allowed: rounded to the nearest step): gradual pruning starts here.</summary>
    public double PruneStartEpoch { get; init; }

    /// <summary><c>tf</c>, in epochs (fractions allowed): the last pruning event, which lands exactly on <see cref="FinalDensity"/>.</summary>
    public double PruneEndEpoch { get; init; } = 10;

    /// <summary><c>r_0</c>, the regeneration rate at the start (cosine decay to <see cref="RegrowthRateMin"/>).</summary>
    public double RegrowthRate { get; init; } = 0.5;

    /// <summary>The regeneration rate the cosine decay ends at, on the run's last step.</summary>
    public double RegrowthRateMin { get; init; } = DefaultRegrowthRateMin;

    /// <summary>The default of <see cref="RegrowthRateMin"/>.</summary>
    public const double DefaultRegrowthRateMin = 0.005;

    /// <summary>Growth criterion; null: the method's own (gradient; random for set; momentum for snfs).</summary>
    public GrowthKind? Growth { get; init; }

    /// <summary>Keep the first maskable layer dense.</summary>
    public bool DenseFirstLayer { get; init; }

    /// <summary>Layer-wise pruning keeps the last layer at density 0.2 once the sparsity reaches 0.8 (the reference code's rule; -uniform methods only).</summary>
    public bool ClassifierRule { get; init; } = true;

    /// <summary>RigL stops updating masks after this fraction of training (1: never stops, like the GraNet code's "DST").</summary>
    public double RigLStopFraction { get; init; } = 0.75;

    /// <summary>Whether the method prunes gradually from <see cref="InitDensity"/> to <see cref="FinalDensity"/>.</summary>
    public bool IsPruningMethod => Prunes(Method);

    /// <summary>Whether the method regrows connections (so that <see cref="Growth"/> and <see cref="RegrowthRate"/> apply): granet, granet-uniform, rigl, set, snfs.</summary>
    public bool Regrows => RegrowsWith(Method);

    /// <summary>Whether <paramref name="method"/> regrows connections: granet, granet-uniform, rigl, set, snfs.</summary>
    public static bool RegrowsWith(SparsityMethodKind method) =>
        method is SparsityMethodKind.GraNet or SparsityMethodKind.GraNetUniform or SparsityMethodKind.RigL or SparsityMethodKind.Set or SparsityMethodKind.Snfs;

    /// <summary>Whether <paramref name="method"/> prunes gradually from the initial to the final density: granet, gmp and their -uniform forms.</summary>
    public static bool Prunes(SparsityMethodKind method) =>
        method is SparsityMethodKind.GraNet or SparsityMethodKind.GraNetUniform or SparsityMethodKind.Gmp or SparsityMethodKind.GmpUniform;

    /// <summary>Throws <see cref="OptionValueException"/> naming the first option out of range; <paramref name="epochs"/> is the run's length.</summary>
    /// <param name="epochsName">What the caller calls the run's length in a message (default <c>TrainingOptions.Epochs</c>).</param>
    public void Validate(int epochs, string? epochsName = null)
    {
        // A value cast from a number that names no member (e.g. (SparsityMethodKind)77) is refused like any other out of range.
        Require(Enum.IsDefined(Method), nameof(Method), Method, $"must be one of {string.Join(", ", EnumNames.All(typeof(SparsityMethodKind)))}");
        Require(Enum.IsDefined(Distribution), nameof(Distribution), Distribution, $"must be one of {string.Join(", ", EnumNames.All(typeof(DistributionKind)))}");
        Require(Growth is not { } growth || Enum.IsDefined(growth), nameof(Growth), Growth, $"must be null or one of {string.Join(", ", EnumNames.All(typeof(GrowthKind)))}");
        Require(InitDensity > 0 && InitDensity <= 1, nameof(InitDensity), InitDensity, "must be in (0, 1]");
        Require(FinalDensity > 0 && FinalDensity <= 1, nameof(FinalDensity), FinalDensity, "must be in (0, 1]");
        Require(UpdateInterval >= 1, nameof(UpdateInterval), UpdateInterval, "must be at least 1 step");
        Require(RegrowthRate is >= 0 and < 1, nameof(RegrowthRate), RegrowthRate, "must be in [0, 1)");
        if (RegrowthRateMin == DefaultRegrowthRateMin)
        {
            // The minimum kept its default, so the rate is what was set: a rate below the minimum is named as the rate.
            Require(RegrowthRate >= RegrowthRateMin, nameof(RegrowthRate), RegrowthRate,
                Invariant($"must be at least {RegrowthRateMin}, the rate its cosine decay ends at ({Name(nameof(RegrowthRateMin))}); for pruning without regeneration use gmp"));
        }
        Require(RegrowthRateMin >= 0 && RegrowthRateMin <= RegrowthRate, nameof(RegrowthRateMin), RegrowthRateMin, $"must be in [0, {Name(nameof(RegrowthRate))}]");
        Require(RigLStopFraction is > 0 and <= 1, nameof(RigLStopFraction), RigLStopFraction, "must be in (0, 1]");
        if (IsPruningMethod)
        {
            Require(FinalDensity <= InitDensity, nameof(FinalDensity), FinalDensity, Invariant($"must not exceed {Name(nameof(InitDensity))} {InitDensity} for a pruning method"));
            Require(PruneStartEpoch >= 0, nameof(PruneStartEpoch), PruneStartEpoch, "must be 0 or more");
            Require(PruneEndEpoch > PruneStartEpoch, nameof(PruneEndEpoch), PruneEndEpoch, Invariant($"must come after {Name(nameof(PruneStartEpoch))} {PruneStartEpoch}"));
            Require(PruneEndEpoch <= epochs, nameof(PruneEndEpoch), PruneEndEpoch, Invariant($"must not exceed {epochsName ?? $"{nameof(Training.TrainingOptions)}.{nameof(Training.TrainingOptions.Epochs)}"} {epochs}"));
        }
        Require(Growth is null || Regrows,
            nameof(Growth), Growth, $"has no effect with {Name(nameof(Method))} {OptionValueException.Format(Method)}; drop it");
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private static string Name(string property) => $"{nameof(SparsityOptions)}.{property}";

    private static void Require(bool condition, string property, object? value, string rule)
    {
        if (!condition)
        {
            throw new OptionValueException(nameof(SparsityOptions), property, value, rule);
        }
    }
}
