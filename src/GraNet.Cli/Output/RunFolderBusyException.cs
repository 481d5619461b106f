namespace GraNet.Cli.Output;

/// <summary>Another process holds the run folder's lock (<see cref="RunFolder.Lock"/>).</summary>
public sealed class RunFolderBusyException : IOException
{
    public RunFolderBusyException()
    {
    }

    public RunFolderBusyException(string message)
        : base(message)
    {
    }

    public RunFolderBusyException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
