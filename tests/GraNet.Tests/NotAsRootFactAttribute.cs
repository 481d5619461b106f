using Xunit;

namespace GraNet.Tests;

/// <summary>
/// A fact about file permissions: skipped, with the reason, when the tests run as root, whom permissions do not stop
/// (run the tests as another user to check it).
/// </summary>
public sealed class NotAsRootFactAttribute : FactAttribute
{
    public NotAsRootFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Unix permission bits";
        }
        else if (Environment.IsPrivilegedProcess)
        {
            Skip = "running as root, whom file permissions do not stop; run the tests as another user to check this";
        }
    }
}
