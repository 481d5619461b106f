using GraNet.Data;
using Xunit;

namespace GraNet.Tests.Data;

public class ImageDatasetDigestTests
{
    private static ImageDataset Two(byte[] pixels, byte[] labels) => new("two", new ImageShape(1, 1, 2), 3, pixels, labels);

    [Fact]
    public void The_digest_is_the_sha256_of_the_counts_then_the_pixels_then_the_labels()
    {
        // SHA-256 of int32 little-endian 2 (images), 1, 1, 2 (C, H, W), 3 (classes), then bytes 0 1 2 3, then 0 2:
        // python3 -c "import hashlib,struct; print(hashlib.sha256(struct.pack('<5i',2,1,1,2,3)+bytes([0,1,2,3,0,2])).hexdigest())"
        Assert.Equal("45fa7be58fa89cdab3a584ba0034dd0745fc620f10861bbf103dbf5de02c6e4e", Two([0, 1, 2, 3], [0, 2]).Digest);
        Assert.Equal("bfa7664f11f16fb059fb074c7543e34d7741a874eef25dd234bf8b72130487b1", Two([0, 1, 2, 3], [0, 1]).Digest);
    }

    [Fact]
    public void Equal_content_gives_equal_digests_and_any_changed_byte_or_shape_another()
    {
        byte[] pixels = [.. Enumerable.Range(0, 4 * 6).Select(i => (byte)(i * 7))];
        byte[] labels = [0, 1, 2, 1];
        var shape = new ImageShape(2, 1, 3);
        string digest = new ImageDataset("a", shape, 3, pixels, labels).Digest;
        Assert.Equal(digest, new ImageDataset("another name", shape, 3, [.. pixels], [.. labels]) { Folder = "/elsewhere" }.Digest);
        for (int i = 0; i < pixels.Length; i++)
        {
            byte[] changed = [.. pixels];
            changed[i] ^= 1;
            Assert.NotEqual(digest, new ImageDataset("a", shape, 3, changed, labels).Digest);
        }
        Assert.NotEqual(digest, new ImageDataset("a", shape, 3, pixels, [0, 1, 2, 2]).Digest);
        Assert.NotEqual(digest, new ImageDataset("a", new ImageShape(2, 3, 1), 3, pixels, labels).Digest); // the same bytes, other images
        Assert.NotEqual(digest, new ImageDataset("a", shape, 4, pixels, labels).Digest);
    }
}
