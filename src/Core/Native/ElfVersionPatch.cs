using System.Buffers.Binary;
using System.Text;

namespace MMAdapt.Core.Native;

/// <summary>
/// Marks one symbol-version requirement of an ELF64 shared library as weak, in memory.
/// </summary>
/// <remarks>
/// TorchSharp's <c>libLibTorchSharp.so</c> is built with GCC 13 and asks libstdc++ for
/// <c>GLIBCXX_3.4.32</c>, which Debian 12 / Ubuntu 22.04 (GCC 12) lack, so the dynamic loader refuses it.
/// The only symbol it takes from that version is <c>std::ios_base_library_init()</c>, which GCC 13's
/// &lt;iostream&gt; references from inline assembly as a pure marker: no relocation ever binds it.
/// Setting <c>VER_FLG_WEAK</c> (2) on that requirement's <c>Vernaux</c> entry turns the loader's fatal
/// "version not found" into a silent note. Before patching, every dynamic relocation is checked: if any
/// of them binds a symbol of the weakened version, the patch is refused, since that symbol would be
/// missing at run time. Layouts: ELF64 <c>Elf64_Verneed</c>/<c>Elf64_Vernaux</c>, <c>Elf64_Rela</c>
/// (System V gABI and the LSB "Symbol Versioning" chapter).
/// </remarks>
internal static class ElfVersionPatch
{
    private const uint ShtRela = 4, ShtRel = 9, ShtDynsym = 11, ShtDynamic = 6;
    private const uint ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlagWeak = 2;
    private const long DtNeeded = 1;

    /// <summary>The outcome of <see cref="MakeWeak"/>.</summary>
    /// <param name="Changed">True when a flag was set; false when it was already weak.</param>
    /// <param name="VersionFound">True when the library asks for that version at all.</param>
    internal readonly record struct Result(bool VersionFound, bool Changed);

    /// <summary>
    /// Sets the weak flag on the requirement of <paramref name="version"/> from <paramref name="library"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a 64-bit little-endian ELF, a malformed table, or a
    /// relocation that binds a symbol of that version (the patch would break the library).</exception>
    internal static Result MakeWeak(byte[] elf, string library, string version, string fileNameForErrors)
    {
        var sections = ReadSections(elf, fileNameForErrors);
        var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
        if (verneed.Type == 0)
            return new Result(false, false);
        var strtab = sections[(int)verneed.Link];

        bool found = false, changed = false;
        ushort versionIndex = 0;
        long entry = (long)verneed.Offset;
        for (int n = 0; n < 10_000; n++)
        {
            // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
            CheckRange(elf, entry, 16, fileNameForErrors, ".gnu.version_r");
            ushort count = U16(elf, entry + 2);
            string file = CString(elf, (long)strtab.Offset + U32(elf, entry + 4), fileNameForErrors);
            long aux = entry + U32(elf, entry + 8);
            for (int i = 0; i < count; i++)
            {
                // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                CheckRange(elf, aux, 16, fileNameForErrors, ".gnu.version_r");
                string name = CString(elf, (long)strtab.Offset + U32(elf, aux + 8), fileNameForErrors);
                if (file == library && name == version)
                {
                    found = true;
                    versionIndex = U16(elf, aux + 6);
                    ushort flags = U16(elf, aux + 4);
                    if ((flags & VerFlagWeak) == 0)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan((int)aux + 4), (ushort)(flags | VerFlagWeak));
                        changed = true;
                    }
                }
                aux += U32(elf, aux + 12);
            }
            uint next = U32(elf, entry + 12);
            if (next == 0)
                break;
            entry += next;
        }
        if (found)
            EnsureNoRelocationBinds(elf, sections, versionIndex, version, fileNameForErrors);
        return new Result(found, changed);
    }

    /// <summary>The DT_NEEDED entries of a shared library, in order.</summary>
    internal static IReadOnlyList<string> NeededLibraries(byte[] elf, string fileNameForErrors)
    {
        var sections = ReadSections(elf, fileNameForErrors);
        var dynamic = sections.FirstOrDefault(s => s.Type == ShtDynamic);
        if (dynamic.Type == 0)
            return [];
        var strtab = sections[(int)dynamic.Link];
        var result = new List<string>();
        for (long p = (long)dynamic.Offset; p + 16 <= (long)(dynamic.Offset + dynamic.Size); p += 16)
        {
            long tag = (long)U64(elf, p);
            if (tag == 0)
                break;
            if (tag == DtNeeded)
                result.Add(CString(elf, (long)strtab.Offset + (long)U64(elf, p + 8), fileNameForErrors));
        }
        return result;
    }

    private static void EnsureNoRelocationBinds(byte[] elf, List<Section> sections, ushort versionIndex, string version, string file)
    {
        var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        if (versym.Type == 0)
            return;
        foreach (var rel in sections.Where(s => s.Type is ShtRela or ShtRel))
        {
            var symtab = sections[(int)rel.Link];
            if (symtab.Type != ShtDynsym)
                continue;
            var symstr = sections[(int)symtab.Link];
            long entrySize = rel.Type == ShtRela ? 24 : 16;
            for (long p = (long)rel.Offset; p + entrySize <= (long)(rel.Offset + rel.Size); p += entrySize)
            {
                ulong info = U64(elf, p + 8);
                long symbol = (long)(info >> 32);
                if (symbol == 0)
                    continue;
                long versymAt = (long)versym.Offset + 2 * symbol;
                CheckRange(elf, versymAt, 2, file, ".gnu.version");
                if ((U16(elf, versymAt) & 0x7fff) != versionIndex)
                    continue;
                long symAt = (long)symtab.Offset + 24 * symbol;
                CheckRange(elf, symAt, 24, file, ".dynsym");
                string name = CString(elf, (long)symstr.Offset + U32(elf, symAt), file);
                throw new InvalidDataException(
                    $"{file}: relocation binds '{name}@{version}', so {version} cannot be made optional; " +
                    "install a libstdc++ from GCC 13 or newer.");
            }
        }
    }

    private readonly record struct Section(uint Type, ulong Offset, ulong Size, uint Link);

    private static List<Section> ReadSections(byte[] elf, string file)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F')
            throw new InvalidDataException($"{file}: not an ELF file (bad magic).");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException($"{file}: only 64-bit little-endian ELF is supported (class {elf[4]}, data {elf[5]}).");
        ulong shoff = U64(elf, 0x28);
        ushort shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        if (shentsize != 64)
            throw new InvalidDataException($"{file}: unexpected section header size {shentsize}.");
        var list = new List<Section>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            long at = (long)shoff + 64L * i;
            CheckRange(elf, at, 64, file, "section headers");
            var s = new Section(U32(elf, at + 4), U64(elf, at + 0x18), U64(elf, at + 0x20), U32(elf, at + 0x28));
            if (s.Type != 8 /* NOBITS */ && s.Offset + s.Size > (ulong)elf.Length)
                throw new InvalidDataException($"{file}: section {i} lies outside the file.");
            list.Add(s);
        }
        foreach (var s in list.Where(s => s.Type is ShtGnuVerneed or ShtRela or ShtRel or ShtDynsym or ShtDynamic))
            if (s.Link >= list.Count)
                throw new InvalidDataException($"{file}: section link {s.Link} out of range.");
        return list;
    }

    private static void CheckRange(byte[] elf, long at, int size, string file, string what)
    {
        if (at < 0 || at + size > elf.Length)
            throw new InvalidDataException($"{file}: {what} entry at offset {at} lies outside the file.");
    }

    private static ushort U16(byte[] b, long at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)at));
    private static uint U32(byte[] b, long at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)at));
    private static ulong U64(byte[] b, long at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)at));

    private static string CString(byte[] b, long at, string file)
    {
        if (at < 0 || at >= b.Length)
            throw new InvalidDataException($"{file}: string offset {at} lies outside the file.");
        int end = Array.IndexOf(b, (byte)0, (int)at);
        if (end < 0)
            throw new InvalidDataException($"{file}: unterminated string at offset {at}.");
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }
}
