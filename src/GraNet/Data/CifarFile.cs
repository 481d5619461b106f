namespace GraNet.Data;

/// <summary>
/// Reads the binary versions of CIFAR-10 (<c>label, 3072 pixels</c> per record) and CIFAR-100
/// (<c>coarse label, fine label, 3072 pixels</c>; the fine label is used).
/// Pixels are stored red plane, green plane, blue plane, each 32x32 row-major. A file may be gzip-compressed (as the
/// locator finds <c>data_batch_1.bin.gz</c> for <c>data_batch_1.bin</c>); it is then decompressed.
/// </summary>
public static class CifarFile
{
    public const int PixelsPerImage = 3 * 32 * 32;

    /// <summary>Appends the records of one file to the pixel and label lists.</summary>
    /// <param name="labelBytes">1 for CIFAR-10, 2 for CIFAR-100.</param>
    /// <param name="expectedRecords">
    /// The number of images the file must hold (the binary files have no header, so a file cut at a record boundary
    /// can only be told by its count: 10,000 per CIFAR-10 batch file); null accepts any whole number of records.
    /// </param>
    /// <exception cref="DataException">The file cannot be read, is not a whole number of records, holds another count than <paramref name="expectedRecords"/>, or has a label out of range.</exception>
    public static void Read(string path, int labelBytes, int classes, List<byte> pixels, List<byte> labels, int? expectedRecords = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        byte[] bytes = DataFiles.ReadAllBytes(path, out bool gzip);
        int record = labelBytes + PixelsPerImage;
        if (bytes.Length == 0 || bytes.Length % record != 0)
        {
            // A .gz name on a file that is not gzip data (read as is): say so, the byte count alone does not.
            string notGzip = !gzip && path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? " (and not gzip data, despite its .gz name)" : string.Empty;
            throw new DataException($"{path}: {bytes.Length} bytes{(gzip ? " once decompressed" : string.Empty)} is not a whole number of {record}-byte CIFAR records{notGzip}; the file is truncated or not the binary version, download the binary version again.");
        }
        int count = bytes.Length / record;
        if (expectedRecords is { } expected && count != expected)
        {
            throw new DataException($"{path}: {count} image{(count == 1 ? string.Empty : "s")} where the data set's file has {expected}; it is cut short or not the original, download the binary version again.");
        }
        for (int offset = 0; offset < bytes.Length; offset += record)
        {
            byte label = bytes[offset + labelBytes - 1];
            if (label >= classes)
            {
                throw new DataException($"{path}: label {label} at record {offset / record} is outside 0..{classes - 1}; the file is corrupt or of another CIFAR version.");
            }
            labels.Add(label);
            pixels.AddRange(bytes.AsSpan(offset + labelBytes, PixelsPerImage));
        }
    }
}
