using CsCheck;

namespace GraNet.Tests.Properties;

/// <summary>
/// Runs a CsCheck property reproducibly. Given a seed, <c>Gen.Sample</c> fixes only its first iteration and draws the others
/// from a random seed, so each iteration here is its own one-iteration sample from a fixed seed: the same inputs on every
/// run, one thread (libtorch's settings are process-wide), and a failure names its seed and prints its input.
/// </summary>
internal static class Property
{
    /// <summary>Checks <paramref name="assert"/> on <paramref name="iterations"/> inputs of <paramref name="gen"/>, drawn from seeds 0, 1, 2, … of stream <paramref name="stream"/>.</summary>
    public static void ForAll<T>(Gen<T> gen, Action<T> assert, int iterations = 100, uint stream = 1)
    {
        ArgumentNullException.ThrowIfNull(gen);
        ArgumentNullException.ThrowIfNull(assert);
        for (int i = 0; i < iterations; i++)
        {
            // Spread the seeds over the 64-bit range (consecutive seeds would still give different inputs; this is tidier).
            string seed = new PCG(stream, (ulong)i * 0x9E3779B97F4A7C15ul).ToString();
            gen.Sample(assert, seed: seed, iter: 1, threads: 1);
        }
    }
}
