using System.Diagnostics;
using GraNet.Cli.Configuration;
using GraNet.Training;

namespace GraNet.Cli.Studies;

/// <summary>
/// One sweep cell trained in a child <c>granet</c> process (<c>sweep --jobs</c>): the hidden command
/// <c>granet sweep-cell CONFIG FOLDER</c> trains exactly as the sweep does in its own process, and the
/// child's standard output and error go to a log file. Processes, not threads: libtorch's generator and
/// thread settings are per process, so a cell's numbers do not depend on what runs beside it.
/// </summary>
internal sealed class CellProcess : IDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private string lastError = string.Empty;
    private bool disposed;

    private CellProcess(SweepCell cell, Process process, StreamWriter log, string logFile)
    {
        Cell = cell;
        this.process = process;
        this.log = log;
        LogFile = logFile;
    }

    public SweepCell Cell { get; }

    public string LogFile { get; }

    /// <summary>Completes with the child's exit code once it has ended and its output is in the log.</summary>
    public Task<int> Exited { get; private set; } = Task.FromResult(-1);

    public TimeSpan Elapsed => clock.Elapsed;

    /// <summary>The child's last line on standard error (its one-line error, if it failed).</summary>
    public string LastError
    {
        get
        {
            lock (log)
            {
                return lastError;
            }
        }
    }

    /// <summary>Writes the cell's configuration next to its log and starts the child.</summary>
    /// <param name="dataDirFile">The sweep's <c>--config</c> file where it gave the data folder: the child's data messages name it.</param>
    public static CellProcess Start(SweepCell cell, RunConfiguration configuration, string runFolder, string logFolder, string? dataDirFile = null)
    {
        ArgumentNullException.ThrowIfNull(cell);
        Directory.CreateDirectory(logFolder);
        string configFile = Path.Combine(logFolder, $"{cell.FolderName}.config.json");
        string logFile = Path.Combine(logFolder, $"{cell.FolderName}.log");
        AtomicFile.WriteText(configFile, ConfigurationJson.Serialize(configuration));
        var (host, prefix) = SelfCommand();
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] from = dataDirFile is null ? [] : ["--data-dir-from", dataDirFile]; // as given: the child works in this process's folder
        foreach (string argument in prefix.Concat(["sweep-cell", configFile, runFolder, "--parent", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), .. from]))
        {
            start.ArgumentList.Add(argument);
        }
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        try
        {
            var child = new CellProcess(cell, process, log, logFile);
            process.OutputDataReceived += (_, e) => child.Append(e.Data, error: false);
            process.ErrorDataReceived += (_, e) => child.Append(e.Data, error: true);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            child.Exited = child.Exit();
            return child;
        }
        catch
        {
            process.Dispose();
            log.Dispose();
            throw;
        }
    }

    /// <summary>Ends the child now if it still runs (its last epoch checkpoint stays; the cell resumes from it).</summary>
    public void Stop()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }
    }

    public void Dispose()
    {
        // A handler may be on its way with a line of a stopped child when Dispose runs: it must not write to the
        // closed log, as its exception would be rethrown on a pool thread and end this process.
        lock (log)
        {
            disposed = true;
            log.Dispose();
        }
        process.Dispose();
    }

    private async Task<int> Exit()
    {
        // WaitForExitAsync also waits for the redirected output to end.
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode;
    }

    private void Append(string? line, bool error)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            if (disposed)
            {
                return;
            }
            log.WriteLine(line);
            if (error && line.Length > 0)
            {
                lastError = line;
            }
        }
    }

    /// <summary>
    /// In the child: ends this process when the sweep that started it is gone, even if it was killed outright
    /// (SIGKILL, out of memory) and could not stop its children. The last epoch checkpoint stays.
    /// </summary>
    public static Timer ExitWithParent(int parentId)
    {
        Process? parent;
        try
        {
            parent = Process.GetProcessById(parentId);
        }
        catch (ArgumentException)
        {
            parent = null;
        }
        return new Timer(_ =>
        {
            if (parent is null || parent.HasExited)
            {
                Environment.Exit(ExitCodes.Cancelled);
            }
        }, null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    /// <summary>How to start this same granet: the dotnet host with this assembly, or its apphost.</summary>
    internal static (string Host, string[] Prefix) SelfCommand()
    {
        string assembly = typeof(CellProcess).Assembly.Location;
        if (Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return (current, [assembly]);
        }
        string apphost = Path.ChangeExtension(assembly, OperatingSystem.IsWindows() ? ".exe" : null);
        return File.Exists(apphost) ? (apphost, []) : ("dotnet", [assembly]);
    }
}
