using GraNet.Cli;

namespace GraNet.Tests.Cli;

/// <summary>Runs <c>granet</c> for the command-line tests: in this process through <see cref="Runner"/>, or as a process of its own.</summary>
internal static class CliHarness
{
    /// <summary>Runs the command in this process and returns its exit code, standard output and standard error.</summary>
    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Runner.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>
    /// Starts the command as a process of its own (for signals, and for environment variables that must not reach the
    /// tests running beside it), with standard output and error redirected.
    /// </summary>
    /// <param name="keyboardInterrupt">
    /// Start it with SIGINT handled as from a terminal. A shell without job control starts a background command with SIGINT
    /// ignored, a process inherits that, and a program started so does not get Ctrl+C (by design: the user's keyboard is
    /// not its). A test run started with <c>&amp;</c> would pass that on to the process under test (measured: the child
    /// ignored SIGINT and trained all its epochs).
    /// </param>
    /// <param name="workingDirectory">The process's working folder (default: the tests').</param>
    public static System.Diagnostics.Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, bool keyboardInterrupt = false, string? workingDirectory = null)
    {
        string dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new System.Diagnostics.ProcessStartInfo(keyboardInterrupt ? "env" : dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        if (keyboardInterrupt)
        {
            // coreutils' env (8.31 and later) sets SIGINT's handling to the default, then runs dotnet in its place (the same process id).
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add(dotnet);
        }
        start.ArgumentList.Add(typeof(Runner).Assembly.Location);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        return System.Diagnostics.Process.Start(start)!;
    }
}
