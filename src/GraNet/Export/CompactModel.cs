using System.Runtime.InteropServices;
using System.Text;
using GraNet.IO;
using GraNet.Runtime;
using GraNet.Training;
using static TorchSharp.torch;

namespace GraNet.Export;

/// <summary>
/// A trained network in compact sparse form: every floating-point state tensor that is at least
/// half zeros (the masked weights) is stored as the positions (int32, flat) and values (float32)
/// of its non-zero entries; everything else (biases, batch-norm parameters and statistics) as is.
/// Loading restores exactly the masked dense model. Written atomically; from format 2 the file
/// ends with the SHA-256 of everything before it, checked before any weight is used (format 1
/// files, without it, are still read). Positions and sizes are range-checked on load.
/// </summary>
public static class CompactModel
{
    /// <summary>The file's magic, version and messages.</summary>
    public static readonly FileFormat Format = new("GRANETSM", 2, "compact GraNet model", "write one with 'granet export'")
    {
        MinimumVersion = 1,
        ChecksumSince = 2,
    };

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>; the header's tensor table is filled in here.</summary>
    public static CompactModelHeader Save(string path, nn.Module model, CompactModelHeader header)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(header);
        var state = model.state_dict();
        var tensors = new List<(CompactTensor Info, Tensor Value)>();
        using (no_grad())
        {
            foreach (var (name, value) in state)
            {
                if (value.dtype is not (ScalarType.Float32 or ScalarType.Int64))
                {
                    throw new ArgumentException($"Compact models store float32 (and int64) tensors; {name} is {value.dtype}: convert the model with .to(ScalarType.Float32) before exporting it.", nameof(model));
                }
                bool floating = value.dtype == ScalarType.Float32;
                long nonZero = floating ? value.count_nonzero().item<long>() : value.numel();
                bool sparse = floating && value.numel() > 0 && nonZero * 2 <= value.numel();
                tensors.Add((new CompactTensor(name, value.shape, sparse, nonZero), value));
            }
        }
        var full = header with { Tensors = tensors.Select(t => t.Info).ToList() };
        AtomicFile.Write(path, stream => Format.Write(stream, full, writer =>
        {
            foreach (var (info, value) in tensors)
            {
                using var flat = value.detach().flatten().contiguous();
                if (!info.Sparse)
                {
                    writer.Write(flat.bytes);
                    continue;
                }
                using var positions = flat.nonzero().flatten().to(ScalarType.Int32);
                using var values = flat.index_select(0, positions.to(ScalarType.Int64));
                writer.Write(positions.bytes);
                writer.Write(values.bytes);
            }
        }));
        return full;
    }

    /// <summary>Reads the header only (without checking the checksum, so that it stays cheap; <see cref="Load"/> checks it).</summary>
    public static CompactModelHeader ReadHeader(string path)
    {
        using var reader = Open(path);
        return ReadHeader(reader, path);
    }

    /// <summary>Reads the header after checking the whole file's checksum: for callers that act on the header (build a model from it) before loading.</summary>
    /// <exception cref="InvalidDataException">Not a compact model, or damaged; the message names the file.</exception>
    public static CompactModelHeader ReadVerifiedHeader(string path)
    {
        using var reader = Open(path);
        return Format.ReadVerifiedHeader<CompactModelHeader>(reader, path);
    }

    /// <summary>Fills <paramref name="model"/> (built with the header's model name and shapes) from the file.</summary>
    /// <exception cref="InvalidDataException">Not a compact model, damaged (checksum mismatch, truncated, positions out of range), or of another architecture; the message names the file.</exception>
    public static CompactModelHeader Load(string path, nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var reader = Open(path);
        var header = Format.ReadVerifiedHeader<CompactModelHeader>(reader, path);
        var state = model.state_dict();
        if (header.Tensors is null || state.Count != header.Tensors.Count)
        {
            throw new InvalidDataException($"{path}: holds {header.Tensors?.Count ?? 0} tensors, model '{header.Model}' has {state.Count}; the file does not belong to this model.");
        }
        // Every tensor is checked against the model, then read, before any is written: a refused file leaves the model as it was.
        foreach (var info in header.Tensors)
        {
            if (info.Name is null || info.Shape is null || !state.TryGetValue(info.Name, out var target) || !target.shape.SequenceEqual(info.Shape))
            {
                throw new InvalidDataException($"{path}: tensor {info.Name} {string.Join('x', info.Shape ?? [])} does not match the model; the file does not belong to model '{header.Model}'.");
            }
            if (target.dtype is not (ScalarType.Float32 or ScalarType.Int64) || (info.Sparse && target.dtype != ScalarType.Float32))
            {
                throw new InvalidDataException($"{path}: the model's tensor {info.Name} is {target.dtype}; compact models hold float32 weights (and int64 counters): load into a float32 model (model.to(ScalarType.Float32)).");
            }
        }
        var read = new List<(Tensor Target, Tensor Source)>(header.Tensors.Count);
        try
        {
            using var guard = no_grad();
            foreach (var info in header.Tensors)
            {
                var target = state[info.Name!];
                if (!info.Sparse)
                {
                    byte[] bytes = ReadExactly(reader, checked((int)(target.numel() * target.ElementSize)), path);
                    using var whole = target.dtype == ScalarType.Float32
                        ? tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray())
                        : tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray());
                    read.Add((target, whole.reshape(info.Shape!)));
                    continue;
                }
                long size = target.numel();
                if (info.NonZero < 0 || info.NonZero > size)
                {
                    throw new InvalidDataException($"{path}: tensor {info.Name} claims {info.NonZero} non-zero values of {size}; the file is damaged, export it again.");
                }
                int[] positions = MemoryMarshal.Cast<byte, int>(ReadExactly(reader, checked((int)info.NonZero * 4), path)).ToArray();
                float[] values = MemoryMarshal.Cast<byte, float>(ReadExactly(reader, checked((int)info.NonZero * 4), path)).ToArray();
                CheckPositions(positions, size, info.Name!, path);
                using var index = tensor(positions.Select(p => (long)p).ToArray());
                using var source = tensor(values);
                using var flat = zeros(target.numel());
                flat.index_copy_(0, index, source);
                read.Add((target, flat.reshape(info.Shape!)));
            }
            foreach (var (target, source) in read)
            {
                target.copy_(source);
            }
        }
        catch (Exception e) when (e is ArgumentException or ExternalException or OverflowException)
        {
            throw new InvalidDataException($"{path}: damaged compact model ({ErrorText.FirstLine(e.Message)}); export it again.", e);
        }
        finally
        {
            foreach (var (_, source) in read)
            {
                source.Dispose();
            }
        }
        return header;
    }

    /// <summary>Positions must be increasing (as written) and inside the tensor, or <c>index_copy_</c> aborts the process.</summary>
    private static void CheckPositions(int[] positions, long size, string name, string path)
    {
        long previous = -1;
        foreach (int position in positions)
        {
            if (position <= previous || position >= size)
            {
                throw new InvalidDataException($"{path}: tensor {name} has a position {position} outside 0..{size - 1} or out of order; the file is damaged, export it again.");
            }
            previous = position;
        }
    }

    private static byte[] ReadExactly(BinaryReader reader, int count, string path)
    {
        byte[] bytes = reader.ReadBytes(count);
        return bytes.Length == count ? bytes : throw new InvalidDataException($"{path}: truncated compact model; export it again.");
    }

    private static BinaryReader Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: model file not found; write one with 'granet export'.", path);
        }
        return new BinaryReader(File.OpenRead(path), Encoding.UTF8);
    }

    private static CompactModelHeader ReadHeader(BinaryReader reader, string path) => Format.ReadHeader<CompactModelHeader>(reader, path);
}
