using System.Buffers.Binary;
using System.Text;

namespace GraNet.ElfPatch;

/// <summary>What <c>ElfVersionPatcher.MarkWeak</c> did to a file.</summary>
/// <param name="Patched">Version names whose entry was changed to weak by this call.</param>
/// <param name="AlreadyWeak">Version names that were weak before the call.</param>
public sealed record ElfPatchResult(IReadOnlyList<string> Patched, IReadOnlyList<string> AlreadyWeak)
{
    /// <summary>True when the file was rewritten.</summary>
    public bool Changed => Patched.Count > 0;
}

/// <summary>
/// Marks version-needed entries (<c>.gnu.version_r</c>, <c>Elf_Vernaux</c>) of an ELF shared
/// library as weak (<c>VER_FLG_WEAK</c>). The dynamic loader then accepts a library whose
/// dependency lacks that version, instead of refusing to load it. This is how TorchSharp's
/// <c>libLibTorchSharp.so</c>, which names <c>GLIBCXX_3.4.32</c> only for a symbol it never
/// relocates, loads on Debian 12 (libstdc++ up to 3.4.30). Where the version exists the flag
/// changes nothing. The patch is idempotent and written atomically (temporary file, rename).
/// </summary>
public static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Marks the named versions weak in <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a little-endian ELF file or its version tables are malformed.</exception>
    public static ElfPatchResult MarkWeak(string path, IReadOnlyCollection<string> versions)
    {
        byte[] image = File.ReadAllBytes(path);
        var result = MarkWeak(image, versions, path);
        if (result.Changed)
        {
            string temporary = path + ".patching";
            File.WriteAllBytes(temporary, image);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(path));
            }
            File.Move(temporary, path, overwrite: true);
        }
        return result;
    }

    /// <summary>Marks the named versions weak in an in-memory ELF image.</summary>
    public static ElfPatchResult MarkWeak(byte[] image, IReadOnlyCollection<string> versions, string name = "ELF image")
    {
        var elf = new ElfReader(image, name);
        var patched = new List<string>();
        var alreadyWeak = new List<string>();
        foreach (var entry in elf.VersionNeeds())
        {
            if (!versions.Contains(entry.Name))
            {
                continue;
            }
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(entry.FlagsOffset));
            if ((flags & VerFlgWeak) != 0)
            {
                alreadyWeak.Add(entry.Name);
                continue;
            }
            BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(entry.FlagsOffset), (ushort)(flags | VerFlgWeak));
            patched.Add(entry.Name);
        }
        return new ElfPatchResult(patched, alreadyWeak);
    }

    /// <summary>Lists every version-needed entry: library file, version name, and whether it is weak.</summary>
    public static IReadOnlyList<(string File, string Version, bool Weak)> ListVersionNeeds(string path)
    {
        byte[] image = File.ReadAllBytes(path);
        var elf = new ElfReader(image, path);
        return elf.VersionNeeds()
            .Select(e => (e.File, e.Name, (BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(e.FlagsOffset)) & VerFlgWeak) != 0))
            .ToList();
    }

    private readonly record struct VersionNeed(string File, string Name, int FlagsOffset);

    private sealed class ElfReader(byte[] image, string name)
    {
        private readonly bool is64 = ReadHeaderClass(image, name);

        private static bool ReadHeaderClass(byte[] image, string name)
        {
            if (image.Length < 52 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            {
                throw new InvalidDataException($"{name}: not an ELF file (bad magic number).");
            }
            if (image[5] != 1)
            {
                throw new InvalidDataException($"{name}: only little-endian ELF files are supported.");
            }
            return image[4] switch
            {
                1 => false,
                2 => true,
                _ => throw new InvalidDataException($"{name}: unknown ELF class {image[4]}."),
            };
        }

        public IEnumerable<VersionNeed> VersionNeeds()
        {
            ulong shoff = is64 ? U64(0x28) : U32(0x20);
            int shentsize = U16(is64 ? 0x3A : 0x2E);
            int shnum = U16(is64 ? 0x3C : 0x30);
            var sections = new List<(uint Type, ulong Offset, ulong Size, uint Link, uint Info)>();
            for (int i = 0; i < shnum; i++)
            {
                int s = Checked(shoff + (ulong)(i * shentsize), shentsize);
                sections.Add(is64
                    ? (U32(s + 4), U64(s + 0x18), U64(s + 0x20), U32(s + 0x28), U32(s + 0x2C))
                    : (U32(s + 4), U32(s + 0x10), U32(s + 0x14), U32(s + 0x18), U32(s + 0x1C)));
            }
            foreach (var section in sections.Where(s => s.Type == ShtGnuVerneed))
            {
                if (section.Link >= sections.Count)
                {
                    throw new InvalidDataException($"{name}: .gnu.version_r links to a missing string table.");
                }
                ulong strings = sections[(int)section.Link].Offset;
                int need = Checked(section.Offset, 16);
                for (uint n = 0; n < section.Info; n++)
                {
                    int count = U16(need + 2);
                    string file = ReadString(strings, U32(need + 4));
                    int aux = Checked((ulong)need + U32(need + 8), 16);
                    for (int a = 0; a < count; a++)
                    {
                        yield return new VersionNeed(file, ReadString(strings, U32(aux + 8)), aux + 4);
                        uint nextAux = U32(aux + 12);
                        if (nextAux == 0)
                        {
                            break;
                        }
                        aux = Checked((ulong)aux + nextAux, 16);
                    }
                    uint next = U32(need + 12);
                    if (next == 0)
                    {
                        break;
                    }
                    need = Checked((ulong)need + next, 16);
                }
            }
        }

        private string ReadString(ulong table, uint offset)
        {
            int start = Checked(table + offset, 1);
            int end = Array.IndexOf(image, (byte)0, start);
            if (end < 0)
            {
                throw new InvalidDataException($"{name}: unterminated string in the dynamic string table.");
            }
            return Encoding.ASCII.GetString(image, start, end - start);
        }

        private int Checked(ulong offset, int length)
        {
            if (offset + (ulong)length > (ulong)image.Length)
            {
                throw new InvalidDataException($"{name}: truncated ELF file (offset {offset} beyond {image.Length} bytes).");
            }
            return (int)offset;
        }

        private ushort U16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(Checked((ulong)offset, 2)));

        private uint U32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(Checked((ulong)offset, 4)));

        private ulong U64(int offset) => BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(Checked((ulong)offset, 8)));
    }
}
