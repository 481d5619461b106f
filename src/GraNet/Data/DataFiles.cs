using System.IO.Compression;

namespace GraNet.Data;

/// <summary>Reading a data file, raw or gzip, and the messages for one that exists but cannot be read, shared by the readers.</summary>
internal static class DataFiles
{
    /// <summary>The file's permissions refuse reading it.</summary>
    public static string Unreadable(string path) =>
        $"{path}: cannot be read (permission denied); check the file's permissions (e.g. chmod a+r {IO.ShellQuoting.Quote(path)}).";

    /// <summary>Reading failed otherwise (an I/O error of the disk or the network): the reason without .NET's repetition of the path.</summary>
    public static string Unreadable(string path, IOException error)
    {
        string reason = Runtime.ErrorText.FirstLine(error.Message);
        int suffix = reason.LastIndexOf(" : '", StringComparison.Ordinal);
        return $"{path}: cannot be read ({(suffix > 0 ? reason[..suffix] : reason).TrimEnd('.')}); check the disk or copy the file again.";
    }

    /// <summary>
    /// The most a data file is read for: CIFAR-100's training file, the largest of the data sets, holds 150 MB. A file that
    /// goes on (a device such as /dev/zero given as a data file, gzip data that decompresses without end) is refused there;
    /// read whole, it filled memory until the command was stopped.
    /// </summary>
    private const int MaxBytes = 512 << 20;

    private static byte[] ReadBounded(Stream source, string path, string how)
    {
        using var memory = new MemoryStream();
        var buffer = new byte[1 << 16];
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            if (memory.Length + read > MaxBytes)
            {
                throw new DataException($"{path}: holds more than 512 MiB{how}, more than any data set's file (the largest, CIFAR-100's training file, is 150 MB), so it is not one; download it again or reinstall the data package.");
            }
            memory.Write(buffer, 0, read);
        }
        return memory.ToArray();
    }

    /// <summary>
    /// The content of a data file, decompressed when it is gzip data (by its first two bytes, whatever its name):
    /// the locator accepts every data file raw or as <c>.gz</c>, so every reader must read both.
    /// </summary>
    /// <param name="gzip">Whether the file was gzip data.</param>
    /// <exception cref="DataException">Damaged gzip data, or the file cannot be read; the message names the file.</exception>
    public static byte[] ReadAllBytes(string path, out bool gzip)
    {
        gzip = false;
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> head = stackalloc byte[2];
            int read = file.Read(head);
            file.Position = 0;
            gzip = read == 2 && head[0] == 0x1f && head[1] == 0x8b;
            if (!gzip)
            {
                return ReadBounded(file, path, "");
            }
            using var unzip = new GZipStream(file, CompressionMode.Decompress);
            return ReadBounded(unzip, path, " decompressed");
        }
        catch (InvalidDataException e)
        {
            // .NET's own wording ("unsupported compression method", "block type") says nothing a user can act on.
            throw new DataException($"{path}: not a valid gzip file (damaged, or cut short); download it again or reinstall the data package.", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DataException($"{path}: truncated gzip data; download the file again.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DataException(DataFiles.Unreadable(path), e);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new DataException(DataFiles.Unreadable(path, e), e);
        }
    }
}
