using System.Runtime.InteropServices;

namespace GraNet.Cli;

/// <summary>
/// What <c>granet</c> says when Ctrl+C or SIGTERM ends it: one line on standard error with how to continue, which the
/// running command sets once it knows (e.g. the run folder to <c>--resume</c>). The process then ends as the signal
/// asks (exit code 130 for Ctrl+C); every file is written to a temporary file and renamed, so nothing is half-written.
/// </summary>
public static class Interruption
{
    private const string Default = "nothing was half-written; run the same command again.";

    private static volatile Func<string> advice = () => Default;

    /// <summary>How to continue after an interruption from now on, e.g. <c>continue with 'granet train --resume DIR'</c>.</summary>
    public static void Advise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        advice = () => text;
    }

    /// <summary>How to continue, worked out when the interruption comes (e.g. whether a checkpoint has been written by then).</summary>
    public static void Advise(Func<string> text)
    {
        ArgumentNullException.ThrowIfNull(text);
        advice = text;
    }

    /// <summary>The line written when the process is interrupted now.</summary>
    public static string Line => $"granet: interrupted; {advice()}";

    /// <summary>Writes <see cref="Line"/> to <paramref name="error"/> on SIGINT or SIGTERM until disposed.</summary>
    public static IDisposable Listen(TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        advice = () => Default;
        void Say(PosixSignalContext context)
        {
            // The signal still ends the process (context.Cancel stays false): this only says how to go on.
            error.WriteLine(Line);
            error.Flush();
        }
        return new Registrations(PosixSignalRegistration.Create(PosixSignal.SIGINT, Say), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Say));
    }

    private sealed class Registrations(params IDisposable[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
