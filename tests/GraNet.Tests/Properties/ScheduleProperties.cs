using CsCheck;
using GraNet.Sparsity.Schedules;
using Xunit;

namespace GraNet.Tests.Properties;

/// <summary>Spec §3 (the cubic gradual-pruning schedule) and §4 (the cosine decay of the regeneration rate).</summary>
public class ScheduleProperties
{
    /// <summary>t0, tf, ΔT, d_i, d_f with t0 &lt; tf and d_f ≤ d_i.</summary>
    private static readonly Gen<(long Start, long End, long Interval, double Initial, double Final)> Cubic =
        Gen.Select(Gen.Long[0, 400], Gen.Long[1, 1500], Gen.Long[1, 250], Gen.Double[0.001, 1.0], Gen.Double[0, 1])
            .Select((start, span, interval, final, share) => (start, start + span, interval, final + ((1 - final) * share), final));

    [Fact]
    public void Cubic_density_is_initial_up_to_t0_then_follows_the_cubic_down_and_is_final_from_tf() =>
        Property.ForAll(Cubic, input =>
        {
            var (t0, tf, interval, di, df) = input;
            var schedule = new CubicPruningSchedule(t0, tf, interval, di, df);
            double previous = double.PositiveInfinity;
            for (long t = 0; t <= tf + (2 * interval); t++)
            {
                double d = schedule.DensityAt(t);
                if (t <= t0)
                {
                    Assert.Equal(di, d);
                }
                else if (t >= tf)
                {
                    Assert.Equal(df, d); // exactly d_f, not about it
                }
                else
                {
                    double remaining = 1 - ((double)(t - t0) / (tf - t0));
                    double expected = df + ((di - df) * Math.Pow(remaining, 3));
                    Assert.True(Math.Abs(d - expected) <= 1e-12, $"t = {t}: {d}, the cubic gives {expected}");
                }
                Assert.True(d >= df && d <= di, $"t = {t}: {d} outside [{df}, {di}]");
                Assert.True(d <= previous, $"t = {t}: {d} rises above {previous}");
                previous = d;
            }
        }, iterations: 200);

    [Fact]
    public void Cubic_pruning_events_follow_t0_on_multiples_of_the_interval_and_the_last_lands_on_tf_at_the_final_density() =>
        Property.ForAll(Cubic, input =>
        {
            var (t0, tf, interval, di, df) = input;
            var schedule = new CubicPruningSchedule(t0, tf, interval, di, df);
            var events = new List<long>();
            for (long t = 0; t <= tf + (3 * interval); t++)
            {
                if (schedule.IsPruningStep(t))
                {
                    events.Add(t);
                }
            }
            var expected = new List<long>();
            for (long t = ((t0 / interval) + 1) * interval; t < tf; t += interval)
            {
                expected.Add(t);
            }
            expected.Add(tf);
            Assert.Equal(expected, events);
            Assert.Equal(df, schedule.DensityAt(events[^1]));
        }, iterations: 200);

    [Fact]
    public void Cosine_rate_starts_at_r0_decays_monotonically_within_its_bounds_and_stays_at_r_min_from_T() =>
        Property.ForAll(Gen.Select(Gen.Double[0, 1], Gen.Double[0, 1], Gen.Long[1, 2000]), input =>
        {
            var (r0, share, total) = input;
            double rMin = r0 * share;
            var rate = new CosineRegrowthRate(r0, rMin, total);
            Assert.True(Math.Abs(rate.RateAt(0) - r0) <= 1e-15, $"r(0) = {rate.RateAt(0)}, not r_0 = {r0}");
            double previous = double.PositiveInfinity;
            for (long t = 0; t <= 2 * total; t++)
            {
                double r = rate.RateAt(t);
                Assert.True(r >= rMin && r <= r0 + 1e-15, $"t = {t}: {r} outside [{rMin}, {r0}]");
                Assert.True(r <= previous, $"t = {t}: {r} rises above {previous}");
                if (t >= total)
                {
                    Assert.Equal(rMin, r);
                }
                previous = r;
            }
        }, iterations: 200);
}
