using System.Runtime.InteropServices;

namespace GraNet.Runtime;

/// <summary>
/// Environment variables set where native libraries read them (libc's <c>setenv</c>; .NET's own copy is set too), as a change
/// that can be undone: <see cref="TorchRuntime.Configure"/> sets libtorch's and OpenMP's variables before it can ask libtorch
/// whether they were in time, and puts the earlier values back when they were not, so that a refused call changes nothing.
/// </summary>
public sealed partial class NativeEnvironment
{
    private readonly List<(string Name, string? Earlier)> changed = [];

    /// <summary>Sets <paramref name="name"/> (with <paramref name="overwrite"/> false, only where it is not set), remembering its earlier value.</summary>
    public void Set(string name, string value, bool overwrite = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        changed.Add((name, Get(name)));
        Environment.SetEnvironmentVariable(name, overwrite ? value : Environment.GetEnvironmentVariable(name) ?? value);
        if (!OperatingSystem.IsWindows())
        {
            _ = NativeSetEnv(name, value, overwrite ? 1 : 0);
        }
    }

    /// <summary>Puts back every variable this change set, latest first, as it was before (unset where it was not set).</summary>
    public void Undo()
    {
        for (int i = changed.Count - 1; i >= 0; i--)
        {
            var (name, earlier) = changed[i];
            Environment.SetEnvironmentVariable(name, earlier);
            if (!OperatingSystem.IsWindows())
            {
                _ = earlier is null ? NativeUnsetEnv(name) : NativeSetEnv(name, earlier, 1);
            }
        }
        changed.Clear();
    }

    /// <summary>The variable as native code sees it (libc's <c>getenv</c>; .NET's copy on Windows), or null where it is not set.</summary>
    public static string? Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return OperatingSystem.IsWindows() ? Environment.GetEnvironmentVariable(name) : Marshal.PtrToStringUTF8(NativeGetEnv(name));
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeSetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "unsetenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeUnsetEnv(string name);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint NativeGetEnv(string name);
}
