using System.Security.Cryptography;

namespace GraNet.IO;

/// <summary>Passes writes through to a stream and hashes them (SHA-256).</summary>
internal sealed class HashingWriteStream(Stream inner) : CountingWriteStream
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public byte[] Hash() => hash.GetCurrentHash();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        hash.AppendData(buffer);
        inner.Write(buffer);
        base.Write(buffer);
    }

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
