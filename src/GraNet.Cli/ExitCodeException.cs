namespace GraNet.Cli;

/// <summary>A failure that ends <c>granet</c> with a given exit code, e.g. that of a child process it ran.</summary>
public sealed class ExitCodeException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
