namespace GraNet.Sparsity.Schedules;

/// <summary>
/// The share of each layer's active weights a regeneration event drops and grows again, by step (spec §4 gives the
/// cosine decay, <see cref="CosineRegrowthRate"/>; SET's original constant rate is another).
/// </summary>
public interface IRegrowthRate
{
    /// <summary>The rate after step <paramref name="step"/>, in [0, 1].</summary>
    double RateAt(long step);
}
