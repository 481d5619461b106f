namespace GraNet.IO;

/// <summary>
/// A stream that is only written to, forward, and counts what is written: kept by nothing, it gives the length of what a
/// writer will write without holding it; <see cref="HashingWriteStream"/> passes it on and hashes it too.
/// </summary>
internal class CountingWriteStream : Stream
{
    private long written;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => written;

    public override long Position
    {
        get => written;
        set => throw new NotSupportedException();
    }

    public sealed override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => written += buffer.Length;

    public sealed override void WriteByte(byte value) => Write([value]);

    public override void Flush()
    {
    }

    public sealed override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();
}
