namespace GraNet.Sparsity.Schedules;

/// <summary>
/// When regeneration (drop and grow) runs: after every step <c>t</c> with <c>t % ΔT == 0</c>,
/// <c>t &gt; start</c> and <c>t ≤ stop</c>.
/// </summary>
public sealed record UpdateWindow(long Interval, long StartStep, long StopStep)
{
    public bool IsUpdateStep(long step) => step % Interval == 0 && step > StartStep && step <= StopStep;
}
