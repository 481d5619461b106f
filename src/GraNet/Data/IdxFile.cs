using System.Buffers.Binary;

namespace GraNet.Data;

/// <summary>
/// Reads the idx format of MNIST and Fashion-MNIST (raw or gzip-compressed): a big-endian
/// header <c>0x00 0x00 type dims</c>, one 32-bit size per dimension, then the unsigned bytes.
/// </summary>
public static class IdxFile
{
    private const int UnsignedByteType = 0x08;

    /// <summary>Reads an image file (3 dimensions: count, rows, columns).</summary>
    public static (byte[] Pixels, int Count, int Rows, int Columns) ReadImages(string path)
    {
        var (dims, data) = Read(path, expectedDims: 3);
        return (data, dims[0], dims[1], dims[2]);
    }

    /// <summary>Reads a label file (1 dimension: count).</summary>
    public static byte[] ReadLabels(string path)
    {
        var (_, data) = Read(path, expectedDims: 1);
        return data;
    }

    private static (int[] Dims, byte[] Data) Read(string path, int expectedDims)
    {
        byte[] bytes = DataFiles.ReadAllBytes(path, out bool gzip);
        string fix = "download it again or reinstall the data package";
        if (bytes.Length < 4)
        {
            throw new DataException($"{path}: truncated idx file ({bytes.Length} bytes); {fix}.");
        }
        if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != UnsignedByteType || bytes[3] != expectedDims)
        {
            uint magic = BinaryPrimitives.ReadUInt32BigEndian(bytes);
            string kind = expectedDims == 3 ? "image file (0x00000803)" : "label file (0x00000801)";
            // A .gz name on a file that is not gzip data (read as is): say so, the magic number alone does not.
            string notGzip = !gzip && path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? " (the file is not gzip data either, despite its .gz name)" : string.Empty;
            throw new DataException($"{path}: wrong magic number 0x{magic:X8}, expected an idx {kind}{notGzip}; check the file name or {fix}.");
        }
        if (bytes.Length < 4 + (4 * expectedDims))
        {
            throw new DataException($"{path}: truncated idx header ({bytes.Length} bytes); {fix}.");
        }
        var dims = new int[expectedDims];
        long total = 1;
        for (int i = 0; i < expectedDims; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + (4 * i)));
            if (size == 0 || size > int.MaxValue)
            {
                throw new DataException($"{path}: invalid dimension {size} in the idx header; {fix}.");
            }
            dims[i] = (int)size;
            total *= size;
        }
        int offset = 4 + (4 * expectedDims);
        if (bytes.Length - offset != total)
        {
            throw new DataException($"{path}: header announces {total} values but the file holds {bytes.Length - offset}; the file is truncated or corrupt, {fix}.");
        }
        return (dims, bytes[offset..]);
    }
}
