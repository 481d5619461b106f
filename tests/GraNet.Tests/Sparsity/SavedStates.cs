using System.Buffers.Binary;
using System.Security.Cryptography;
using Xunit;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// The frame <c>SparsityController.Save</c> writes: its first string, the length of what follows up to the checksum, the
/// run's steps per epoch (int32), the state as the previous version wrote it, and the SHA-256 of those two.
/// </summary>
internal static class SavedStates
{
    /// <summary>The state inside the frame, as the previous version wrote it (no checksum), after checking the frame by hand.</summary>
    public static byte[] Unframed(byte[] saved, int stepsPerEpoch = 4)
    {
        using var reader = new BinaryReader(new MemoryStream(saved));
        Assert.Equal("GRANET-SPARSITY-STATE-3", reader.ReadString());
        long length = reader.ReadInt64();
        int start = (int)reader.BaseStream.Position;
        Assert.Equal(saved.Length, start + length + 32); // nothing after the checksum
        byte[] body = saved[start..(int)(start + length)];
        Assert.Equal(SHA256.HashData(body), saved[^32..]);
        Assert.Equal(stepsPerEpoch, BinaryPrimitives.ReadInt32LittleEndian(body));
        return body[4..];
    }
}
