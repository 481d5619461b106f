namespace GraNet.ElfPatch;

/// <summary>
/// The command line of GraNet.ElfPatch: <c>[--weak VERSION]... FILE...</c>. Marks the named versions
/// (default <c>GLIBCXX_3.4.32</c>) weak in every file, one line per file; a file that is not ELF or is
/// missing is reported and the others are still patched. The build calls it with every copy of
/// <c>libLibTorchSharp.so</c> in an output or publish folder (build/GraNet.LibTorch.targets).
/// </summary>
public static class ElfPatchCommand
{
    /// <summary>The version marked weak when no <c>--weak</c> is given.</summary>
    public const string DefaultVersion = "GLIBCXX_3.4.32";

    private const string Usage = "usage: GraNet.ElfPatch [--weak VERSION]... FILE...";

    /// <summary>Runs the command; returns 0 when every file was patched or needed no change, 1 when one failed, 2 for bad usage.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter errors)
    {
        var versions = new List<string>();
        var files = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--weak")
            {
                if (i + 1 >= args.Count || args[i + 1].Length == 0)
                {
                    errors.WriteLine("GraNet.ElfPatch: --weak needs a version name, e.g. --weak GLIBCXX_3.4.32.");
                    errors.WriteLine(Usage);
                    return 2;
                }
                versions.Add(args[++i]);
            }
            else
            {
                files.Add(args[i]);
            }
        }
        if (files.Count == 0)
        {
            errors.WriteLine(Usage);
            return 2;
        }
        if (versions.Count == 0)
        {
            versions.Add(DefaultVersion);
        }

        int status = 0;
        foreach (string path in files)
        {
            if (!File.Exists(path))
            {
                errors.WriteLine($"GraNet.ElfPatch: {path} does not exist.");
                status = 1;
                continue;
            }
            try
            {
                var result = ElfVersionPatcher.MarkWeak(path, versions);
                output.WriteLine(result.Changed
                    ? $"GraNet.ElfPatch: marked {string.Join(", ", result.Patched)} weak in {path}"
                    : $"GraNet.ElfPatch: {path} needs no change");
            }
            catch (InvalidDataException e)
            {
                errors.WriteLine($"GraNet.ElfPatch: {e.Message}");
                status = 1;
            }
        }
        return status;
    }
}
