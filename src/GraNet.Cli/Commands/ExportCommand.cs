using System.CommandLine;
using System.Globalization;
using GraNet.Export;

namespace GraNet.Cli.Commands;

/// <summary>
/// <c>granet export</c>: writes a checkpoint's network in compact sparse form and reports the sizes. An existing
/// file is never replaced unless <c>--force</c> is given, and the checkpoint itself never.
/// </summary>
public static class ExportCommand
{
    public static Command Create(TextWriter output)
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A .ckpt file from 'granet train' (last.ckpt or best.ckpt)", Required = true };
        var target = new Option<string>("--output", "-o") { Description = "The compact model file to write (a new file, unless --force)", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace --output if it exists (never the --checkpoint file itself)" };
        var command = new Command("export", "Write a trained network in compact sparse form (active values and their positions).") { checkpoint, target, force };
        command.SetAction(parse =>
        {
            string source = GivenText.Require(parse.GetValue(checkpoint), "--checkpoint", "give a .ckpt file from 'granet train' (last.ckpt or best.ckpt)")!;
            string path = GivenText.Require(parse.GetValue(target), "--output", "give the compact model file to write, e.g. model.gsm")!;
            bool replace = parse.GetValue(force);
            CheckTarget(source, path, replace);
            if (!File.Exists(source) && !Directory.Exists(source))
            {
                // (The shared loader's message also offers a compact model, which export does not take.)
                throw new FileNotFoundException($"--checkpoint {source}: not found; give a .ckpt file from 'granet train' (last.ckpt or best.ckpt).", source);
            }
            if (File.Exists(source) && CompactModel.Format.Matches(source))
            {
                // A file of the wrong kind, refused as train --resume refuses one (exit 3).
                throw new InvalidDataException($"--checkpoint {source} is a compact model already (written by 'granet export'); give the .ckpt of the run it came from.");
            }
            using var trained = TrainedModel.Load(source, threads: 1);
            if (trained.EmptyLayersNote() is { } empty)
            {
                output.WriteLine($"note: {empty}");
            }
            var shape = trained.Dataset.Shape;
            var header = Write(path, replace, temporary => CompactModel.Save(temporary, trained.Module, new CompactModelHeader(
                trained.Model, trained.Dataset.Name, shape.Channels, shape.Height, shape.Width, trained.Dataset.Classes,
                Configuration.ConfigurationJson.Serialize(trained.Configuration), []) { TestImagesSha256 = trained.TestImagesSha256 }));
            long dense = trained.Module.state_dict().Values.Sum(t => t.numel() * t.ElementSize);
            long compact = new FileInfo(path).Length;
            long stored = header.Tensors.Where(t => t.Sparse).Sum(t => t.NonZero);
            long sparseTotal = header.Tensors.Where(t => t.Sparse).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
            output.WriteLine(header.Tensors.Any(t => t.Sparse)
                ? string.Create(CultureInfo.InvariantCulture, $"wrote {path}: {compact:N0} bytes, {100.0 * compact / dense:F1} % of the dense model's {dense:N0} bytes ({100.0 * compact / new FileInfo(source).Length:F1} % of the checkpoint file); {header.Tensors.Count(t => t.Sparse)} sparse tensors keep {stored:N0} of {sparseTotal:N0} values")
                : string.Create(CultureInfo.InvariantCulture, $"wrote {path}: {compact:N0} bytes, {100.0 * compact / dense:F1} % of the dense model's {dense:N0} bytes; note: no tensor is sparse enough to store compactly (a dense run, or densities above one half), so the file is no smaller than the dense model"));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Refuses an --output that is a folder, is below a file, is a device, pipe or socket, is the checkpoint itself, or
    /// (without --force) an existing file, before anything is read. A path of the wrong kind is an <see cref="IOException"/>
    /// (exit 3), as <c>train --output FILE</c> and <c>--tensorboard FILE</c> are; a clash of options is an argument error (exit 2).
    /// </summary>
    private static void CheckTarget(string source, string path, bool replace)
    {
        if (Directory.Exists(path) || Path.EndsInDirectorySeparator(path))
        {
            // A path ending in '/' names a folder, whether it exists or not (its file would be made inside it).
            throw new IOException($"--output {path} is a folder; give a file name, e.g. {Path.Combine(path, "model.gsm")}.");
        }
        // The folders that are missing are created; one that is a file cannot be.
        for (string? folder = Path.GetDirectoryName(Path.GetFullPath(path)); folder is not null && !Directory.Exists(folder); folder = Path.GetDirectoryName(folder))
        {
            if (File.Exists(folder))
            {
                throw new IOException($"--output {path}: {folder} is a file, not a folder; choose another --output.");
            }
        }
        if (GraNet.IO.FileKind.IsSpecial(path))
        {
            // Renaming the new file over it would replace the device or pipe itself, --force or not.
            throw new IOException($"--output {path} is a device, pipe or socket, not a file; give the path of a file.");
        }
        if (!File.Exists(path))
        {
            return;
        }
        if (File.Exists(source) && SameFile(source, path))
        {
            throw new ArgumentException($"--output {path} is the --checkpoint file itself; choose another --output.");
        }
        if (!replace)
        {
            throw new ArgumentException($"--output {path} already exists; choose another --output, or give --force to replace it.");
        }
    }

    /// <summary>
    /// Writes through <paramref name="save"/> into a temporary file beside <paramref name="path"/>, then renames it
    /// into place: a failure leaves any existing file as it was, and without <paramref name="replace"/> a file that
    /// appeared meanwhile is not replaced either.
    /// </summary>
    private static T Write<T>(string path, bool replace, Func<string, T> save)
    {
        string full = Path.GetFullPath(path);
        // A short name of its own beside the target (not the target's name with a suffix): any name the file system
        // takes for --output must do, up to its 255 bytes.
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".granet-export-{Environment.ProcessId}");
        try
        {
            var result = save(temporary);
            try
            {
                File.Move(temporary, full, overwrite: replace);
            }
            catch (IOException) when (!replace && File.Exists(full))
            {
                throw new ArgumentException($"--output {path} already exists; choose another --output, or give --force to replace it.");
            }
            return result;
        }
        catch (IOException e) when (e.Message.Contains($"'{temporary}", StringComparison.Ordinal))
        {
            // A full disk, say: the message names the file asked for, not the temporary one (its HResult says what failed).
            int start = e.Message.IndexOf($"'{temporary}", StringComparison.Ordinal);
            int end = e.Message.IndexOf('\'', start + 1);
            string message = end < 0 ? e.Message : $"{e.Message[..start]}'{full}'{e.Message[(end + 1)..]}";
            // The same kind of error (a file that cannot be made there stays a FileNotFoundException), for the tool's message.
            IOException named = e is FileNotFoundException ? new FileNotFoundException(message, full, e) : new IOException(message, e);
            named.HResult = e.HResult;
            throw named;
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Whether two existing paths name the same file, following symbolic links in any part of either.</summary>
    private static bool SameFile(string a, string b) =>
        string.Equals(RealPath(a), RealPath(b), OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);

    /// <summary>The absolute path with every symbolic link (of the file or of a folder above it) resolved.</summary>
    private static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        string? parent = Path.GetDirectoryName(full);
        if (parent is null)
        {
            return full;
        }
        string resolved = Path.Combine(RealPath(parent), Path.GetFileName(full));
        return File.ResolveLinkTarget(resolved, returnFinalTarget: true) is { } target ? RealPath(target.FullName) : resolved;
    }
}
