using System.Buffers.Binary;
using GraNet.IO;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.IO;

/// <summary>
/// A generator state read from a file is checked as libtorch checks it when it is set, since libtorch ends the process
/// (an uncaught C++ exception) on a state that fails: a damaged state must be an <see cref="InvalidDataException"/>.
/// </summary>
public class GeneratorStateTests
{
    /// <summary>A generator's state after some draws, written as a checkpoint writes it; and the generator.</summary>
    private static (byte[] Written, Generator Generator) Saved()
    {
        var generator = new Generator(7);
        using (var drawn = rand(1000, generator: generator))
        {
        }
        using var state = generator.get_state();
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            GeneratorState.Write(writer, state);
        }
        return (stream.ToArray(), generator);
    }

    private static Tensor Read(byte[] written, Generator generator)
    {
        using var current = generator.get_state();
        using var reader = new BinaryReader(new MemoryStream(written));
        return GeneratorState.Read(reader, current, "random growth state");
    }

    // The state's bytes begin after the int32 length: the initial seed (8 bytes), then left (int32, 1..624),
    // seeded (int32, not 0) and next (uint64, low 32 bits at most 624).
    [Theory]
    [InlineData(4 + 8, 0)]     // left 0
    [InlineData(4 + 8, 625)]   // left past the state
    [InlineData(4 + 12, 0)]    // not seeded
    [InlineData(4 + 16, 625)]  // next past the state
    public void A_state_libtorch_would_abort_on_is_refused(int offset, int value)
    {
        var (written, generator) = Saved();
        using (generator)
        {
            BinaryPrimitives.WriteInt32LittleEndian(written.AsSpan(offset), value);
            var e = Assert.Throws<InvalidDataException>(() => Read(written, generator));
            Assert.Equal("the checkpoint's random growth state is not a valid random generator state (its Mersenne Twister position or seeded flag is out of range); the file is damaged, use another checkpoint.", e.Message);
        }
    }

    [Fact]
    public void A_valid_state_reads_and_sets_the_generator_to_draw_as_the_saved_one()
    {
        // Libtorch keeps seeded as a bool: 2 passes its check as 1 does, and the edge values 1 and 624 pass too.
        var (written, generator) = Saved();
        using (generator)
        {
            using var expected = rand(5, generator: generator);
            BinaryPrimitives.WriteInt32LittleEndian(written.AsSpan(4 + 12), 2);
            using var state = Read(written, generator);
            generator.set_state(state);
            using var again = rand(5, generator: generator);
            Assert.Equal(expected.data<float>().ToArray(), again.data<float>().ToArray());
            foreach (int left in new[] { 1, 624 })
            {
                BinaryPrimitives.WriteInt32LittleEndian(written.AsSpan(4 + 8), left);
                using var edge = Read(written, generator);
                generator.set_state(edge);
            }
        }
    }
}
