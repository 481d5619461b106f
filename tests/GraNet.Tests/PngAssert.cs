using System.Buffers.Binary;
using Xunit;

namespace GraNet.Tests;

/// <summary>Checks that a file is a PNG image of the expected size.</summary>
internal static class PngAssert
{
    public static void Valid(string path, int width, int height)
    {
        Assert.True(File.Exists(path), $"{path} is missing");
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        Assert.True(bytes.Length > 5_000, $"{path} is only {bytes.Length} bytes: an empty chart?");
    }
}
