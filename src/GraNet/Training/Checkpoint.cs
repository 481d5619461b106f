using System.Runtime.InteropServices;
using System.Text;
using GraNet.IO;
using GraNet.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Training;

/// <summary>
/// One checkpoint file: a header (JSON), the model's state, the optimizer's state (momentum or
/// Adam moments), the hook's state (masks) and the global random generator's state, then (from
/// format 2) the SHA-256 of all that. Files are written atomically, so a run killed while saving
/// keeps its previous checkpoint; loading checks the checksum before using any of the content.
/// Format 1 files (no checksum) are still read.
/// </summary>
public static class Checkpoint
{
    /// <summary>The file name extension of checkpoints (<c>last.ckpt</c>, <c>epoch-10.ckpt</c>).</summary>
    public const string Extension = ".ckpt";

    /// <summary>The file's magic, version and messages.</summary>
    public static readonly FileFormat Format = new("GRANETCK", 2, "GraNet checkpoint", "give a .ckpt file written by 'granet train'")
    {
        MinimumVersion = 1,
        ChecksumSince = 2,
    };

    /// <summary>Writes a checkpoint. <paramref name="optimizer"/> and <paramref name="hook"/> may be null (a model-only file).</summary>
    public static void Save(string path, CheckpointHeader header, nn.Module model, OptimizerHelper? optimizer, ITrainingHook? hook)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.Write(path, stream => Format.Write(stream, header with { HasHookState = hook is not null }, writer =>
        {
            model.save(writer);
            writer.Write(optimizer is not null);
            optimizer?.save_state_dict(writer);
            hook?.Save(writer);
            using var rng = TorchSharp.torch.random.get_rng_state();
            GeneratorState.Write(writer, rng);
        }));
    }

    /// <summary>Reads only the header (without checking the checksum, so that it stays cheap; <see cref="Load(string, nn.Module, OptimizerHelper?, ITrainingHook?, Action{CheckpointHeader}?)"/> checks it).</summary>
    /// <exception cref="InvalidDataException">Not a GraNet checkpoint, or damaged; the message names the file.</exception>
    public static CheckpointHeader ReadHeader(string path)
    {
        using var stream = Open(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return ReadHeader(reader, path);
    }

    /// <summary>Reads the header after checking the whole file's checksum: for callers that act on the header (build a model from it) before loading.</summary>
    /// <exception cref="InvalidDataException">Not a GraNet checkpoint, or damaged; the message names the file.</exception>
    public static CheckpointHeader ReadVerifiedHeader(string path)
    {
        using var stream = Open(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return Format.ReadVerifiedHeader<CheckpointHeader>(reader, path);
    }

    /// <summary>
    /// Restores the model (and, when given, the optimizer, the hook and the random state) from a
    /// checkpoint and returns its header. The model must have the architecture that was saved.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a GraNet checkpoint, damaged (checksum mismatch, truncated), of another model or method, or, given an <paramref name="optimizer"/>, a model-only file (best.ckpt) that training cannot continue from (the model then holds the file's weights); one line naming the file.</exception>
    public static CheckpointHeader Load(string path, nn.Module model, OptimizerHelper? optimizer, ITrainingHook? hook) => Load(path, model, optimizer, hook, accept: null);

    /// <summary>
    /// As <see cref="Load(string, nn.Module, OptimizerHelper?, ITrainingHook?)"/>, after <paramref name="accept"/> has seen
    /// the header: it runs once the checksum is checked and before anything is restored, so a caller that must refuse a
    /// checkpoint by its header (another run, other data) reads and checks the file once, and a refusal changes nothing.
    /// </summary>
    /// <param name="accept">Throws to refuse the checkpoint; its exception reaches the caller as thrown.</param>
    /// <exception cref="InvalidDataException">Not a GraNet checkpoint, damaged (checksum mismatch, truncated), of another model or method, or, given an <paramref name="optimizer"/>, a model-only file (best.ckpt) that training cannot continue from (the model then holds the file's weights); one line naming the file.</exception>
    public static CheckpointHeader Load(string path, nn.Module model, OptimizerHelper? optimizer, ITrainingHook? hook, Action<CheckpointHeader>? accept)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var stream = Open(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        var header = Format.ReadVerifiedHeader<CheckpointHeader>(reader, path);
        accept?.Invoke(header);
        try
        {
            model.load(reader, strict: true);
            bool hasOptimizer = reader.ReadBoolean();
            if (!hasOptimizer && optimizer is not null)
            {
                // A model-only file (best.ckpt) in the place of the one training continues from: without this, its missing
                // masks were reported as a dense run's, and a run without a hook went on with a fresh optimizer.
                throw new InvalidDataException($"{path}: the checkpoint holds a model's weights only (as best.ckpt does: no optimizer state or masks), so training cannot continue from it; put back the run's own last.ckpt, or start the run afresh.");
            }
            if (hasOptimizer)
            {
                if (optimizer is null)
                {
                    return header;
                }
                optimizer.load_state_dict(reader);
            }
            if (header.HasHookState && hook is not null)
            {
                hook.Load(reader);
            }
            else if (header.HasHookState != (hook is not null) && optimizer is not null)
            {
                throw new InvalidDataException(header.HasHookState
                    ? $"{path}: the checkpoint holds sparsity masks but this run has no sparsity method; resume with the same SparsityOptions.Method."
                    : $"{path}: the checkpoint is of a dense run but this run has a sparsity method; resume with the same SparsityOptions.Method.");
            }
            if (optimizer is not null)
            {
                using var current = TorchSharp.torch.random.get_rng_state();
                using var rng = GeneratorState.Read(reader, current, "random generator state");
                TorchSharp.torch.random.set_rng_state(rng);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or IOException or ExternalException)
        {
            throw new InvalidDataException($"{path}: the checkpoint does not match this model or is truncated ({ErrorText.FirstLine(e.Message)}); use a checkpoint of the same model and SparsityOptions.Method.", e);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            // The hook's own checks (method, masked layers) do not know the file.
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return header;
    }

    private static FileStream Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: checkpoint not found; give the path of a .ckpt file written by 'granet train'.", path);
        }
        return File.OpenRead(path);
    }

    private static CheckpointHeader ReadHeader(BinaryReader reader, string path) => Format.ReadHeader<CheckpointHeader>(reader, path);
}
