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
    /// <exception cref="InvalidDataException">The size differs.</exception>
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
        return tensor(bytes, ScalarType.Byte);
    }
}
