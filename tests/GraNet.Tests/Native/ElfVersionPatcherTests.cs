using System.Diagnostics;
using System.Runtime.InteropServices;
using GraNet.ElfPatch;
using Xunit;

namespace GraNet.Tests.Native;

public class ElfVersionPatcherTests : IDisposable
{
    private readonly string folder = TestFiles.TempFolder("granet-elf");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>Builds a small C++ shared library that needs libstdc++ versions.</summary>
    private string BuildLibrary()
    {
        string source = Path.Combine(folder, "hello.cpp");
        File.WriteAllText(source, "#include <iostream>\n#include <string>\nextern \"C\" int hello(int x) { std::string s(\"hi\"); std::cout << s << x << std::endl; return x + 1; }\n");
        string library = Path.Combine(folder, "libhello.so");
        var start = new ProcessStartInfo("g++", ["-shared", "-fPIC", "-O1", "-o", library, source]) { RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"g++ failed: {errors}");
        return library;
    }

    [Fact]
    public void Marks_one_version_weak_idempotently_and_the_library_still_loads()
    {
        string library = BuildLibrary();
        var before = ElfVersionPatcher.ListVersionNeeds(library);
        var target = before.First(v => v.Version.StartsWith("GLIBCXX_", StringComparison.Ordinal));
        Assert.False(target.Weak);

        var first = ElfVersionPatcher.MarkWeak(library, [target.Version]);
        Assert.Equal([target.Version], first.Patched);
        byte[] once = File.ReadAllBytes(library);

        var after = ElfVersionPatcher.ListVersionNeeds(library);
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal((before[i].File, before[i].Version), (after[i].File, after[i].Version));
            Assert.Equal(before[i].Version == target.Version || before[i].Weak, after[i].Weak);
        }

        var second = ElfVersionPatcher.MarkWeak(library, [target.Version]);
        Assert.False(second.Changed);
        Assert.Equal([target.Version], second.AlreadyWeak);
        Assert.Equal(once, File.ReadAllBytes(library));

        nint handle = NativeLibrary.Load(library);
        Assert.NotEqual(0, NativeLibrary.GetExport(handle, "hello"));
        NativeLibrary.Free(handle);
    }

    [Fact]
    public void A_version_the_library_does_not_need_changes_nothing()
    {
        string library = BuildLibrary();
        byte[] before = File.ReadAllBytes(library);
        Assert.False(ElfVersionPatcher.MarkWeak(library, ["GLIBCXX_9.9.99"]).Changed);
        Assert.Equal(before, File.ReadAllBytes(library));
    }

    [Fact]
    public void Non_elf_and_truncated_files_are_refused_with_their_name()
    {
        string text = Path.Combine(folder, "notes.txt");
        File.WriteAllText(text, "this is not an ELF file at all, just some text");
        Assert.Contains(text, Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.MarkWeak(text, ["X"])).Message, StringComparison.Ordinal);

        string library = BuildLibrary();
        string cut = Path.Combine(folder, "cut.so");
        File.WriteAllBytes(cut, File.ReadAllBytes(library)[..200]);
        Assert.Contains(cut, Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.MarkWeak(cut, ["GLIBCXX_3.4"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_build_patched_the_torchsharp_library_in_this_output_folder()
    {
        string library = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(library), $"{library} is missing");
        var needs = ElfVersionPatcher.ListVersionNeeds(library);
        Assert.Contains(needs, v => v.Version == "GLIBCXX_3.4.32" && v.Weak);
        Assert.All(needs.Where(v => v.Version != "GLIBCXX_3.4.32"), v => Assert.False(v.Weak));
    }
}
