using System.Diagnostics;
using Xunit;

namespace GraNet.Tests;

/// <summary>
/// A fact that needs a read-only file system of its own (<see cref="ReadOnlyMount"/>): skipped, with the reason, where a
/// tmpfs cannot be mounted (not Linux, not root, or a container that does not allow it).
/// </summary>
public sealed class ReadOnlyMountFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public ReadOnlyMountFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "a tmpfs mount (Linux)";
        }
        if (!Environment.IsPrivilegedProcess)
        {
            return "mounting a tmpfs needs root";
        }
        string folder = TestFiles.TempFolder("granet-mount-probe");
        try
        {
            if (!ReadOnlyMount.Mount(folder, "size=1m"))
            {
                return "this machine does not allow mounting a tmpfs";
            }
            ReadOnlyMount.Unmount(folder);
            return null;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>A small tmpfs, writable until <see cref="MakeReadOnly"/>, unmounted and deleted on dispose.</summary>
public sealed class ReadOnlyMount : IDisposable
{
    public ReadOnlyMount()
    {
        Path = TestFiles.TempFolder("granet-read-only");
        if (!Mount(Path, "size=32m"))
        {
            throw new InvalidOperationException($"could not mount a tmpfs at {Path}");
        }
    }

    public string Path { get; }

    /// <summary>Remounts the file system read-only: its files stay, and every write fails with EROFS.</summary>
    public void MakeReadOnly()
    {
        if (!Mount(Path, "remount,ro"))
        {
            throw new InvalidOperationException($"could not remount {Path} read-only");
        }
    }

    public void Dispose()
    {
        Unmount(Path);
        Directory.Delete(Path, recursive: true);
    }

    internal static bool Mount(string folder, string options) => RunMount("mount", ["-t", "tmpfs", "-o", options, "tmpfs", folder]);

    internal static void Unmount(string folder) => RunMount("umount", [folder]);

    private static bool RunMount(string program, string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
