using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GraNet.IO;

/// <summary>
/// The frame of GraNet's binary files: 8 ASCII magic bytes, a format version, a JSON header, the
/// content and, from version <see cref="ChecksumSince"/> on, a trailer of the SHA-256 of every
/// byte before it. Reading checks magic and version (any from <see cref="MinimumVersion"/> to
/// <see cref="Version"/>) and, when the file has a trailer, the checksum, and turns any damage
/// into one message naming the file.
/// </summary>
/// <param name="Magic">8 ASCII characters, e.g. <c>GRANETCK</c>.</param>
/// <param name="Version">The version written, and the newest read.</param>
/// <param name="What">What the file is, for messages, e.g. "GraNet checkpoint".</param>
/// <param name="Fix">How a user gets a good file, e.g. "give a .ckpt file written by 'granet train'".</param>
public sealed record FileFormat(string Magic, int Version, string What, string Fix)
{
    /// <summary>GraNet's binary files by their magic bytes, for naming one given where another is wanted.</summary>
    private static readonly Dictionary<string, string> OtherKinds = new(StringComparer.Ordinal)
    {
        ["GRANETCK"] = "GraNet checkpoint (written by 'granet train')",
        ["GRANETSM"] = "compact GraNet model (written by 'granet export')",
    };

    /// <summary>Bytes of the checksum trailer.</summary>
    public const int ChecksumLength = SHA256.HashSizeInBytes;

    /// <summary>The oldest version still read (default: only <see cref="Version"/>).</summary>
    public int MinimumVersion { get; init; } = Version;

    /// <summary>The first version whose files end with the checksum trailer (default: none does).</summary>
    public int ChecksumSince { get; init; } = int.MaxValue;

    /// <summary>Whether files of <paramref name="version"/> end with the checksum trailer.</summary>
    public bool HasChecksum(int version) => version >= ChecksumSince;

    /// <summary>
    /// Writes a whole file of the current version to <paramref name="stream"/>: magic, version,
    /// <paramref name="header"/>, what <paramref name="content"/> writes and, if this version
    /// has one, the checksum trailer.
    /// </summary>
    public void Write<T>(Stream stream, T header, Action<BinaryWriter> content)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(content);
        using var hashing = new HashingWriteStream(stream);
        using (var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write(Version);
            writer.Write(JsonSerializer.Serialize(header));
            content(writer);
        }
        if (HasChecksum(Version))
        {
            stream.Write(hashing.Hash());
        }
    }

    /// <summary>Reads magic, version and header, without checking the checksum: cheap, for looking at a file, not for using its content.</summary>
    /// <exception cref="InvalidDataException">Wrong magic or version, or a damaged header.</exception>
    public T ReadHeader<T>(BinaryReader reader, string path) => Read<T>(reader, path, verify: false);

    /// <summary>
    /// Reads magic and version, then (when the file has a trailer) checks the checksum of the
    /// whole file, then reads the header; the reader is left at the start of the content.
    /// <paramref name="reader"/>'s stream must be seekable and at the start of the file.
    /// </summary>
    /// <exception cref="InvalidDataException">Wrong magic or version, a checksum mismatch or a damaged header.</exception>
    public T ReadVerifiedHeader<T>(BinaryReader reader, string path) => Read<T>(reader, path, verify: true);

    /// <summary>True when the file starts with this format's magic bytes.</summary>
    public bool Matches(string path)
    {
        using var file = File.OpenRead(path);
        var bytes = new byte[Magic.Length];
        return file.Read(bytes) == bytes.Length && Encoding.ASCII.GetString(bytes) == Magic;
    }

    private T Read<T>(BinaryReader reader, string path, bool verify)
    {
        ArgumentNullException.ThrowIfNull(reader);
        try
        {
            string magic = Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length));
            if (magic != Magic)
            {
                // Another of GraNet's own files given in its place is named as what it is.
                throw new InvalidDataException(OtherKinds.TryGetValue(magic, out string? other)
                    ? $"{path}: not a {What}: it is a {other}; {Fix}."
                    : $"{path}: not a {What} (bad magic); {Fix}.");
            }
            int version = reader.ReadInt32();
            if (version < MinimumVersion || version > Version)
            {
                string readable = MinimumVersion == Version ? $"{Version}" : $"{MinimumVersion} to {Version}";
                throw new InvalidDataException($"{path}: {What} format {version}, this version of GraNet.NET reads {readable}; {Fix}.");
            }
            if (verify && HasChecksum(version))
            {
                Verify(reader.BaseStream, path);
            }
            return JsonSerializer.Deserialize<T>(reader.ReadString()) ?? throw new InvalidDataException($"{path}: empty {What} header.");
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            throw new InvalidDataException($"{path}: damaged {What} header ({e.Message}); the file is truncated or corrupt, {Fix}.", e);
        }
    }

    /// <summary>Compares the SHA-256 of everything before the trailer with the trailer, then puts the stream back where it was.</summary>
    private void Verify(Stream stream, string path)
    {
        long resume = stream.Position;
        long content = stream.Length - ChecksumLength;
        bool intact = false;
        if (content >= resume)
        {
            stream.Position = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buffer = new byte[1 << 20];
            for (long left = content; left > 0;)
            {
                int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read == 0)
                {
                    throw new EndOfStreamException();
                }
                hash.AppendData(buffer, 0, read);
                left -= read;
            }
            byte[] stored = new byte[ChecksumLength];
            stream.ReadExactly(stored);
            intact = hash.GetHashAndReset().AsSpan().SequenceEqual(stored);
        }
        if (!intact)
        {
            throw new InvalidDataException($"{path}: the {What} is damaged (checksum mismatch): it was truncated or changed after it was written; {Fix}.");
        }
        stream.Position = resume;
    }
}
