using Xunit;

namespace GraNet.Tests;

/// <summary>
/// A fact that runs two jobs or two threads at once (<c>--jobs 2</c>, <c>--threads 2</c>), which the tool refuses on a
/// machine with one core: skipped there, with the reason.
/// </summary>
public sealed class MultiCoreFactAttribute : FactAttribute
{
    public MultiCoreFactAttribute()
    {
        if (Environment.ProcessorCount < 2)
        {
            Skip = Reason;
        }
    }

    /// <summary>Why the test is skipped on one core.</summary>
    public const string Reason = "needs 2 cores (two jobs or threads at once); this machine has 1";
}

/// <summary>The theory form of <see cref="MultiCoreFactAttribute"/>.</summary>
public sealed class MultiCoreTheoryAttribute : TheoryAttribute
{
    public MultiCoreTheoryAttribute()
    {
        if (Environment.ProcessorCount < 2)
        {
            Skip = MultiCoreFactAttribute.Reason;
        }
    }
}
