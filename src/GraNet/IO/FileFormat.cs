using System.Text;
using System.Text.Json;

namespace GraNet.IO;

/// <summary>
/// The opening of GraNet's binary files: 8 ASCII magic bytes, a format version, then a JSON
/// header. Reading checks all three and turns any damage into one message naming the file.
/// </summary>
/// <param name="Magic">8 ASCII characters, e.g. <c>GRANETCK</c>.</param>
/// <param name="What">What the file is, for messages, e.g. "GraNet checkpoint".</param>
/// <param name="Fix">How a user gets a good file, e.g. "give a .ckpt file written by 'granet train'".</param>
public sealed record FileFormat(string Magic, int Version, string What, string Fix)
{
    public void WriteHeader<T>(BinaryWriter writer, T header)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Encoding.ASCII.GetBytes(Magic));
        writer.Write(Version);
        writer.Write(JsonSerializer.Serialize(header));
    }

    /// <exception cref="InvalidDataException">Wrong magic or version, or a damaged header.</exception>
    public T ReadHeader<T>(BinaryReader reader, string path)
    {
        ArgumentNullException.ThrowIfNull(reader);
        try
        {
            if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic)
            {
                throw new InvalidDataException($"{path}: not a {What} (bad magic); {Fix}.");
            }
            int version = reader.ReadInt32();
            if (version != Version)
            {
                throw new InvalidDataException($"{path}: {What} format {version}, this version of GraNet.NET reads {Version}; {Fix}.");
            }
            return JsonSerializer.Deserialize<T>(reader.ReadString()) ?? throw new InvalidDataException($"{path}: empty {What} header.");
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            throw new InvalidDataException($"{path}: damaged {What} header ({e.Message}); the file is truncated or corrupt, {Fix}.", e);
        }
    }

    /// <summary>True when the file starts with this format's magic bytes.</summary>
    public bool Matches(string path)
    {
        using var file = File.OpenRead(path);
        var bytes = new byte[Magic.Length];
        return file.Read(bytes) == bytes.Length && Encoding.ASCII.GetString(bytes) == Magic;
    }
}
