using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;

namespace GraNet.Tests;

/// <summary>Writes small, valid (or deliberately broken) data files into temporary folders.</summary>
internal static class TestFiles
{
    public static string TempFolder(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The repository's root folder (this file is tests/GraNet.Tests/TestFiles.cs).</summary>
    public static string RepositoryRoot => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", ".."));

    private static string ThisFile([CallerFilePath] string path = "") => path;

    /// <summary>Sets a file's or folder's permission bits (see <see cref="NotAsRootFactAttribute"/> for the tests that rely on them).</summary>
    public static void Chmod(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    /// <summary>An idx file: magic 0x0000 08 dims, big-endian sizes, then the bytes.</summary>
    public static byte[] Idx(int[] dims, byte[] data)
    {
        var bytes = new byte[4 + (4 * dims.Length) + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dims[i]);
        }
        data.CopyTo(bytes, 4 + (4 * dims.Length));
        return bytes;
    }

    /// <summary>Cuts the last <paramref name="bytes"/> bytes off <paramref name="path"/>, as a copy cut short or a full disk leaves a file.</summary>
    public static void CutShort(string path, int bytes = 10)
    {
        using var file = File.OpenWrite(path);
        file.SetLength(file.Length - bytes);
    }

    public static void Write(string path, byte[] bytes, bool gzip)
    {
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(bytes);
    }

    /// <summary>
    /// A learnable Fashion-MNIST-shaped data set: class c has a bright horizontal band at rows
    /// 2c..2c+3 plus noise. Writes the four idx files (gzip) into <paramref name="folder"/>.
    /// </summary>
    public static void WriteTinyMnist(string folder, int train = 300, int test = 100, int classes = 10, int seed = 1)
    {
        var random = new Random(seed);
        foreach (var (name, count) in new[] { ("train", train), ("t10k", test) })
        {
            var pixels = new byte[count * 784];
            var labels = new byte[count];
            for (int i = 0; i < count; i++)
            {
                int label = i % classes;
                labels[i] = (byte)label;
                for (int p = 0; p < 784; p++)
                {
                    int row = p / 28;
                    bool band = row >= 2 * label && row < (2 * label) + 4;
                    pixels[(i * 784) + p] = (byte)((band ? 180 : 20) + random.Next(50));
                }
            }
            Write(Path.Combine(folder, $"{name}-images-idx3-ubyte.gz"), Idx([count, 28, 28], pixels), gzip: true);
            Write(Path.Combine(folder, $"{name}-labels-idx1-ubyte.gz"), Idx([count], labels), gzip: true);
        }
    }
}
