using System.Buffers.Binary;
using System.Security.Cryptography;
using Xunit;

namespace GraNet.Tests.Sparsity;

/// <summary>The frame <c>SparsityController.Save</c> writes: its first string, the state's length, the state and the SHA-256 of the state.</summary>
internal static class SavedStates
{
    /// <summary>The state inside the frame, as the previous version wrote it (no checksum), after checking the frame by hand.</summary>
    public static byte[] Unframed(byte[] saved)
    {
        using var reader = new BinaryReader(new MemoryStream(saved));
        Assert.Equal("GRANET-SPARSITY-STATE-3", reader.ReadString());
        long length = reader.ReadInt64();
        int start = (int)reader.BaseStream.Position;
        Assert.Equal(saved.Length, start + length + 32); // nothing after the checksum
        byte[] state = saved[start..(int)(start + length)];
        Assert.Equal(SHA256.HashData(state), saved[^32..]);
        Assert.Equal(length, BinaryPrimitives.ReadInt64LittleEndian(saved.AsSpan(start - 8)));
        return state;
    }
}
