using System.Buffers.Binary;
using static TorchSharp.torch;

namespace GraNet.IO;

/// <summary>A random generator's state in a checkpoint: its length, then its bytes.</summary>
public static class GeneratorState
{
    public static void Write(BinaryWriter writer, Tensor state)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(state);
        byte[] bytes = state.bytes.ToArray();
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    /// <summary>
    /// Reads a state written by <see cref="Write"/>, checked against the size of <paramref name="current"/>
    /// (libtorch aborts the process, not a catchable error, on a state of another size).
    /// </summary>
    /// <param name="what">The generator, for messages, e.g. "random generator state".</param>
    /// <exception cref="InvalidDataException">The size differs, or the state is not a valid Mersenne Twister state (libtorch aborts the process on that too).</exception>
    /// <exception cref="EndOfStreamException">The file ends inside the state.</exception>
    public static Tensor Read(BinaryReader reader, Tensor current, string what)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(current);
        int length = reader.ReadInt32();
        if (length != current.numel())
        {
            throw new InvalidDataException($"the checkpoint's {what} has {length} bytes, libtorch's has {current.numel()}; the file is damaged, use another checkpoint.");
        }
        byte[] bytes = reader.ReadBytes(length);
        if (bytes.Length != length)
        {
            throw new EndOfStreamException($"the file ends inside the {what}");
        }
        if (!IsValidTwister(bytes) && IsValidTwister(current.bytes))
        {
            throw new InvalidDataException($"the checkpoint's {what} is not a valid random generator state (its Mersenne Twister position or seeded flag is out of range); the file is damaged, use another checkpoint.");
        }
        return tensor(bytes, ScalarType.Byte);
    }

    /// <summary>Entries of the Mersenne Twister's state (MT19937).</summary>
    private const int TwisterStateLength = 624;

    /// <summary>
    /// Whether <paramref name="state"/> passes the check libtorch's CPU generator makes when a state is set (which ends the
    /// process with an uncaught C++ exception when it fails): after the initial seed (8 bytes), the number of values left
    /// (int32) in 1..624, the seeded flag (int32) not 0, and the next position (uint64, of which libtorch keeps the low 32
    /// bits) at most 624. Only applied when the generator's own current state passes it too, that is when this is the
    /// layout of the libtorch in use.
    /// </summary>
    private static bool IsValidTwister(ReadOnlySpan<byte> state)
    {
        if (state.Length < 24)
        {
            return false;
        }
        int left = BinaryPrimitives.ReadInt32LittleEndian(state[8..]);
        int seeded = BinaryPrimitives.ReadInt32LittleEndian(state[12..]);
        uint next = BinaryPrimitives.ReadUInt32LittleEndian(state[16..]);
        return left is > 0 and <= TwisterStateLength && seeded != 0 && next <= TwisterStateLength;
    }
}
