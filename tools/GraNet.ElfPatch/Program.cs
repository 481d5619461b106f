using GraNet.ElfPatch;

// Usage: GraNet.ElfPatch FILE [VERSION ...]   (default version: GLIBCXX_3.4.32)
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: GraNet.ElfPatch FILE [VERSION ...]");
    return 2;
}
string path = args[0];
string[] versions = args.Length > 1 ? args[1..] : ["GLIBCXX_3.4.32"];
if (!File.Exists(path))
{
    Console.Error.WriteLine($"GraNet.ElfPatch: {path} does not exist.");
    return 1;
}
try
{
    var result = ElfVersionPatcher.MarkWeak(path, versions);
    Console.WriteLine(result.Changed
        ? $"GraNet.ElfPatch: marked {string.Join(", ", result.Patched)} weak in {path}"
        : $"GraNet.ElfPatch: {path} needs no change");
    return 0;
}
catch (InvalidDataException e)
{
    Console.Error.WriteLine($"GraNet.ElfPatch: {e.Message}");
    return 1;
}
