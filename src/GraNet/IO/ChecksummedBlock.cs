using System.Globalization;
using System.Security.Cryptography;

namespace GraNet.IO;

/// <summary>
/// A block inside a stream that is checked before any of it is read: its length (int64), its content, then the SHA-256 of
/// the content. <see cref="Write"/> holds none of the content in memory (it writes it twice: once to count it, once to
/// the stream); <see cref="Read"/> checks it in place on a stream that seeks and from a copy in memory on one that does not.
/// </summary>
/// <param name="What">What the block holds, as an error names it ("The saved state of the SparsityController").</param>
/// <param name="CutShort">The error when the stream ends inside the block.</param>
/// <param name="Damaged">The error when the checksum does not match, or the length cannot be the content's.</param>
internal sealed record ChecksummedBlock(string What, string CutShort, string Damaged)
{
    /// <summary>
    /// Writes <paramref name="content"/>'s bytes as a block to <paramref name="writer"/>'s <c>BaseStream</c>: the content
    /// is written twice, and must write the same bytes both times; when it does not, <paramref name="changed"/> is given
    /// the two lengths for the error.
    /// </summary>
    public void Write(BinaryWriter writer, Action<BinaryWriter> content, Func<long, long, string> changed)
    {
        long length;
        using (var counter = new CountingWriteStream())
        {
            using (var counting = new BinaryWriter(counter, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                content(counting);
            }
            length = counter.Length;
        }
        writer.Write(length);
        writer.Flush();
        using var hashing = new HashingWriteStream(writer.BaseStream);
        using (var inner = new BinaryWriter(hashing, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            content(inner);
        }
        if (hashing.Length != length)
        {
            throw new InvalidOperationException(changed(length, hashing.Length));
        }
        writer.Write(hashing.Hash());
    }

    /// <summary>
    /// Reads a block that <see cref="Write"/> wrote, checks it, then gives its content to <paramref name="content"/> (as
    /// UTF-8, whatever <paramref name="reader"/> decodes), and leaves the stream after the block. A block shorter than
    /// <paramref name="minimumLength"/> is <see cref="Damaged"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The block ends early, its checksum does not match, or it is too long to check from a stream that cannot seek.</exception>
    public void Read(BinaryReader reader, long minimumLength, Action<BinaryReader> content)
    {
        var stream = reader.BaseStream;
        long length;
        try
        {
            length = reader.ReadInt64();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException(CutShort, e);
        }
        if (length < minimumLength)
        {
            throw new InvalidDataException(Damaged);
        }
        if (stream.CanSeek)
        {
            // Checked in place, then read from where it is: a block of any size, none of it held twice.
            long start = stream.Position;
            if (length > stream.Length - start - SHA256.HashSizeInBytes)
            {
                throw new InvalidDataException(CutShort);
            }
            RequireChecksum(stream, length, reader);
            stream.Position = start;
            using (var inPlace = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                content(inPlace);
            }
            stream.Position = start + length + SHA256.HashSizeInBytes;
            return;
        }
        if (length > Array.MaxLength)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{What} is {length:N0} bytes, more than can be checked in memory from a stream that cannot seek; give it in a file (or another seekable stream)."));
        }
        // A stream that cannot seek is read into memory to be checked before anything of it is used (up to twice the block
        // while the copy grows), in pieces, so that a damaged length is found cut short when the stream ends, not by first
        // allocating what it claims.
        using var copy = new MemoryStream();
        RequireChecksum(stream, length, reader, copy);
        copy.Position = 0;
        using var fromCopy = new BinaryReader(copy, System.Text.Encoding.UTF8);
        content(fromCopy);
    }

    /// <summary>
    /// Reads <paramref name="length"/> bytes of <paramref name="stream"/> (into <paramref name="copy"/>, when given) and the
    /// SHA-256 after them, and refuses the block unless they match; the stream is left after the checksum.
    /// </summary>
    private void RequireChecksum(Stream stream, long length, BinaryReader reader, Stream? copy = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[(int)Math.Min(1 << 20, length)];
        for (long left = length; left > 0;)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
            {
                throw new InvalidDataException(CutShort);
            }
            hash.AppendData(buffer, 0, read);
            copy?.Write(buffer, 0, read);
            left -= read;
        }
        byte[] stored = reader.ReadBytes(SHA256.HashSizeInBytes);
        if (stored.Length != SHA256.HashSizeInBytes)
        {
            throw new InvalidDataException(CutShort);
        }
        if (!hash.GetHashAndReset().AsSpan().SequenceEqual(stored))
        {
            throw new InvalidDataException(Damaged);
        }
    }
}
