using System.Runtime.InteropServices;

namespace GraNet.IO;

/// <summary>
/// What kind of file system entry a path names, as far as .NET cannot tell: a character or block device, a pipe or a
/// socket also "exist" as files (<see cref="File.Exists"/>), and replacing one by renaming a new file over it would
/// destroy it (as root, <c>/dev/full</c> or <c>/dev/stdout</c>).
/// </summary>
public static partial class FileKind
{
    /// <summary>
    /// Whether <paramref name="path"/> names something other than a regular file or a folder (symbolic links followed):
    /// a device, pipe or socket. False when it names nothing, and where the kind cannot be read (not Linux).
    /// </summary>
    public static bool IsSpecial(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        // statx's buffer has one layout on every architecture (unlike stat's): stx_mode is the 16 bits at offset 28.
        Span<byte> buffer = stackalloc byte[256];
        if (StatX(AtCurrentFolder, path, 0, StatXType, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return false; // missing (or unreadable): nothing there to destroy
        }
        int type = BitConverter.ToUInt16(buffer[28..30]) & TypeMask;
        return type is not (RegularFile or Folder);
    }

    private const int AtCurrentFolder = -100;
    private const uint StatXType = 1;
    private const int TypeMask = 0xF000;
    private const int RegularFile = 0x8000;
    private const int Folder = 0x4000;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatX(int folder, string path, int flags, uint mask, ref byte buffer);
}
