namespace GraNet.Cli;

/// <summary>The exit codes of <c>granet</c>.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A command-line option or configuration value is wrong.</summary>
    public const int BadArguments = 2;

    /// <summary>A data, configuration or checkpoint file is missing or damaged.</summary>
    public const int BadInput = 3;

    /// <summary>Training collapsed (training loss not below chance) or diverged (NaN loss).</summary>
    public const int TrainingFailed = 4;

    /// <summary>The run folder is being written by another granet process: try again when it has ended (sysexits' EX_TEMPFAIL).</summary>
    public const int Busy = 75;

    /// <summary>A fault of granet itself (a bug): reported in one line; GRANET_TRACE=1 prints the whole trace.</summary>
    public const int InternalError = 70;

    public const int Cancelled = 130;
}
