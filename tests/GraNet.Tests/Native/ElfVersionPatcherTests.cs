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
    public void The_command_patches_every_file_it_is_given_once()
    {
        string first = BuildLibrary();
        string second = Path.Combine(folder, "copy", "libhello.so");
        Directory.CreateDirectory(Path.GetDirectoryName(second)!);
        File.Copy(first, second);
        string version = ElfVersionPatcher.ListVersionNeeds(first).First(v => v.Version.StartsWith("GLIBCXX_", StringComparison.Ordinal)).Version;

        var (code, output, errors) = RunCommand("--weak", version, first, second);
        Assert.True(code == 0, errors);
        Assert.Contains($"marked {version} weak in {first}", output, StringComparison.Ordinal);
        Assert.Contains($"marked {version} weak in {second}", output, StringComparison.Ordinal);
        byte[] once = File.ReadAllBytes(second);

        (code, output, _) = RunCommand("--weak", version, first, second);
        Assert.Equal(0, code);
        Assert.Contains($"{first} needs no change", output, StringComparison.Ordinal);
        Assert.Contains($"{second} needs no change", output, StringComparison.Ordinal);
        Assert.Equal(once, File.ReadAllBytes(second));
        Assert.Equal(once, File.ReadAllBytes(first));
    }

    [Fact]
    public void The_command_reports_a_missing_file_and_still_patches_the_others_and_refuses_bad_usage()
    {
        string library = BuildLibrary();
        string version = ElfVersionPatcher.ListVersionNeeds(library).First(v => v.Version.StartsWith("GLIBCXX_", StringComparison.Ordinal)).Version;
        string missing = Path.Combine(folder, "missing.so");
        var (code, output, errors) = RunCommand("--weak", version, missing, library);
        Assert.Equal(1, code);
        Assert.Contains($"{missing} does not exist", errors, StringComparison.Ordinal);
        Assert.Contains($"marked {version} weak in {library}", output, StringComparison.Ordinal);

        Assert.Equal(2, RunCommand().Code);
        Assert.Equal(2, RunCommand("--weak", version).Code);
        Assert.Equal(2, RunCommand(library, "--weak").Code);
    }

    private static (int Code, string Output, string Errors) RunCommand(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int code = ElfPatchCommand.Run(args, output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    /// <summary>
    /// build/GraNet.LibTorch.targets in a project outside the repository without a runtime identifier, as the README's
    /// "Using the library" allows: the library then sits in runtimes/linux-x64/native/, which the build once skipped.
    /// A small C++ library stands in for TorchSharp's (the same name, one of its GLIBCXX versions made weak).
    /// </summary>
    [Fact]
    public void A_consumer_without_a_runtime_identifier_gets_every_copy_patched_by_build_and_publish()
    {
        string consumer = Path.Combine(folder, "consumer");
        Directory.CreateDirectory(consumer);
        string library = BuildLibrary();
        File.Move(library, Path.Combine(consumer, "libstandin.so"));
        string version = ElfVersionPatcher.ListVersionNeeds(Path.Combine(consumer, "libstandin.so")).First(v => v.Version.StartsWith("GLIBCXX_3.4.", StringComparison.Ordinal)).Version;
        string targets = Path.Combine(TestFiles.RepositoryRoot, "build", "GraNet.LibTorch.targets");
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), "System.Console.WriteLine(1);\n");
        File.WriteAllText(Path.Combine(consumer, "consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <GraNetUsesTorch>true</GraNetUsesTorch>
                <GraNetWeakVersions>{version}</GraNetWeakVersions>
              </PropertyGroup>
              <ItemGroup>
                <None Include="libstandin.so" Link="runtimes/linux-x64/native/libLibTorchSharp.so" CopyToOutputDirectory="PreserveNewest" CopyToPublishDirectory="PreserveNewest" />
              </ItemGroup>
              <Import Project="{targets}" />
            </Project>
            """);

        Dotnet(consumer, 0, "build");
        string built = Path.Combine(consumer, "bin", "Debug", "net10.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(IsWeak(built, version), $"{built}: {version} is not weak after the build");
        string published = Path.Combine(consumer, "published");
        Dotnet(consumer, 0, "publish", "-c", "Debug", "-o", published);
        string publishedLibrary = Path.Combine(published, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(IsWeak(publishedLibrary, version), $"{publishedLibrary}: {version} is not weak after the publish");
        Assert.Equal(File.ReadAllBytes(built), File.ReadAllBytes(publishedLibrary));
        Assert.False(IsWeak(Path.Combine(consumer, "libstandin.so"), version), "the source of the copies was changed");

        string output = Dotnet(consumer, 1, "build", "-p:GraNetUsesTorch=false");
        Assert.Contains("Add <GraNetUsesTorch>true</GraNetUsesTorch>", output, StringComparison.Ordinal);
    }

    private static bool IsWeak(string library, string version) =>
        File.Exists(library) && ElfVersionPatcher.ListVersionNeeds(library).Single(v => v.Version == version).Weak;

    /// <summary>Runs dotnet in <paramref name="directory"/> with no build servers left behind; checks its exit code.</summary>
    private static string Dotnet(string directory, int expectedCode, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in args.Concat(["--disable-build-servers", "-nologo", "-tl:off"]))
        {
            start.ArgumentList.Add(a);
        }
        // This test runs under `dotnet test`, whose MSBuild left its own settings in the environment.
        foreach (string name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "MSBUILDNOINPROCNODE" })
        {
            start.Environment.Remove(name);
        }
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string all = output + errors.Result;
        Assert.True(process.ExitCode == expectedCode, $"dotnet {string.Join(' ', args)} exited with {process.ExitCode}, expected {expectedCode}:\n{all}");
        return all;
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
