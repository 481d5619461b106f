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
    public static System.Diagnostics.Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
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
