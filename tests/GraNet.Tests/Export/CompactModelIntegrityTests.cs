using System.Buffers.Binary;
using GraNet.Export;
using GraNet.Tests.Sparsity;
using GraNet.Tests.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Export;

/// <summary>A compact model is checked (SHA-256 trailer, positions in range) before its weights are used.</summary>
public class CompactModelIntegrityTests : IDisposable
{
    // One bias-free linear layer 8 -> 1 with 2 non-zero weights: stored sparse, as positions [2, 6] and values [3, 5].
    private static readonly float[] Weights = [0, 0, 3, 0, 0, 0, 5, 0];

    private readonly string folder = TestFiles.TempFolder("granet-gsm");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static CompactModelHeader Header => new("row", "x", 1, 1, 8, 1, "{}", []);

    private string Saved(string name)
    {
        string path = Path.Combine(folder, name);
        using var model = TinyNets.Row(Weights);
        CompactModel.Save(path, model, Header);
        return path;
    }

    private static float[] Loaded(string path)
    {
        using var model = TinyNets.Row(new float[8]);
        CompactModel.Load(path, model);
        return TinyNets.Values(model.parameters().Single());
    }

    [Fact]
    public void The_round_trip_is_exact_and_the_file_ends_with_positions_values_and_checksum()
    {
        string path = Saved("row.gsm");
        Assert.Equal(Weights, Loaded(path));
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)), bytes[^32..]);
        var content = bytes.AsSpan(bytes.Length - 32 - 16, 16);
        Assert.Equal((2, 6), (BinaryPrimitives.ReadInt32LittleEndian(content), BinaryPrimitives.ReadInt32LittleEndian(content[4..])));
        Assert.Equal((3f, 5f), (BinaryPrimitives.ReadSingleLittleEndian(content[8..]), BinaryPrimitives.ReadSingleLittleEndian(content[12..])));
    }

    [Fact]
    public void A_flipped_byte_is_refused_with_the_file_name()
    {
        string path = Saved("flip.gsm");
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^(32 + 4)] ^= 0x40; // the value 5 (0x40A00000) becomes 1.5e-38
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Loaded(path));
        Assert.Equal($"{path}: the compact GraNet model is damaged (checksum mismatch): it was truncated or changed after it was written; write one with 'granet export'.", e.Message);
    }

    [Fact]
    public void A_model_in_another_precision_is_refused_rather_than_stored_unreadably()
    {
        using var model = TinyNets.Row(Weights);
        model.to(ScalarType.Float64);
        var e = Assert.Throws<ArgumentException>(() => CompactModel.Save(Path.Combine(folder, "f64.gsm"), model, Header));
        Assert.StartsWith("Compact models store float32 (and int64) tensors; fc.weight is Float64:", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "f64.gsm")));
    }

    [Fact]
    public void A_changed_header_is_caught_by_the_checksum_before_it_is_acted_on()
    {
        string path = Saved("header.gsm");
        byte[] bytes = File.ReadAllBytes(path);
        int at = System.Text.Encoding.ASCII.GetString(bytes).IndexOf("\"row\"", StringComparison.Ordinal) + 1;
        bytes[at] = (byte)'R';
        File.WriteAllBytes(path, bytes);
        Assert.Equal("Row", CompactModel.ReadHeader(path).Model); // the change parses: only the checksum tells
        Assert.Contains("checksum mismatch", Assert.Throws<InvalidDataException>(() => CompactModel.ReadVerifiedHeader(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_1_file_still_loads()
    {
        string path = Saved("v1.gsm");
        CheckpointIntegrityTests.ToVersion1(path);
        Assert.Equal(Weights, Loaded(path));
    }

    [Theory]
    [InlineData(0x7F7F7F7F)] // the reviewer's index 2139062143: index_copy_ aborted the process
    [InlineData(8)]
    [InlineData(-1)]
    [InlineData(2)] // a repeated position
    public void A_position_out_of_range_is_refused_in_a_file_without_checksum(int position)
    {
        string path = Saved("bad.gsm");
        CheckpointIntegrityTests.ToVersion1(path);
        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(bytes.Length - 12), position);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Loaded(path));
        Assert.Equal($"{path}: tensor fc.weight has a position {position} outside 0..7 or out of order; the file is damaged, export it again.", e.Message);
    }

    [Fact]
    public void A_non_zero_count_larger_than_the_tensor_is_refused()
    {
        string path = Path.Combine(folder, "count.gsm");
        using var model = TinyNets.Row(Weights);
        CompactModel.Save(path, model, Header);
        CheckpointIntegrityTests.ToVersion1(path);
        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf("\"NonZero\":2"u8);
        bytes[at + "\"NonZero\":".Length] = (byte)'9';
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Loaded(path));
        Assert.Equal($"{path}: tensor fc.weight claims 9 non-zero values of 8; the file is damaged, export it again.", e.Message);
    }
}
