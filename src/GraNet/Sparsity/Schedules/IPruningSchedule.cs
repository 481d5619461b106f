namespace GraNet.Sparsity.Schedules;

/// <summary>
/// When a method prunes and to what overall density (spec §3 gives the cubic one, <see cref="CubicPruningSchedule"/>).
/// Implement it for another curve (linear, exponential, one-shot): the controller asks <see cref="IsPruningStep"/> after
/// every optimizer step and, when it is true, prunes to <see cref="DensityAt"/> of that step.
/// </summary>
public interface IPruningSchedule
{
    /// <summary>The step pruning starts after (<c>t0</c>); no pruning event falls on or before it.</summary>
    long StartStep { get; }

    /// <summary>The step of the last pruning event (<c>tf</c>): epochs before it are never selected as a run's best.</summary>
    long EndStep { get; }

    /// <summary>Whether a pruning event follows step <paramref name="step"/>.</summary>
    bool IsPruningStep(long step);

    /// <summary>The overall target density after step <paramref name="step"/>, in (0, 1].</summary>
    double DensityAt(long step);
}
