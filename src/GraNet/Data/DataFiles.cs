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
                using var memory = new MemoryStream();
                file.CopyTo(memory);
                return memory.ToArray();
            }
            using var unzip = new GZipStream(file, CompressionMode.Decompress);
            using var output = new MemoryStream();
            unzip.CopyTo(output);
            return output.ToArray();
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
