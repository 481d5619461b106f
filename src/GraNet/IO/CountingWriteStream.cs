namespace GraNet.IO;

/// <summary>Counts the bytes written to it and keeps none: the length of what a writer will write, without holding it.</summary>
internal sealed class CountingWriteStream : Stream
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

    public override void Write(byte[] buffer, int offset, int count) => written += count;

    public override void Write(ReadOnlySpan<byte> buffer) => written += buffer.Length;

    public override void WriteByte(byte value) => written++;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
