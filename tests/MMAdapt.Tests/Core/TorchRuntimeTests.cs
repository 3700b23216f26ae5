using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MMAdapt.Core.Native;
using TorchSharp;
using Xunit;

namespace MMAdapt.Tests.Core;

public class TorchRuntimeTests
{
    private static string OriginalLibrary()
    {
        var dir = Path.GetDirectoryName(typeof(torch).Assembly.Location)!;
        var candidates = new[] { Path.Combine(dir, "libLibTorchSharp.so"), Path.Combine(dir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so") };
        return candidates.First(File.Exists);
    }

    private static bool SystemLibstdcxxHas(string version)
    {
        var path = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }.First(File.Exists);
        var needle = System.Text.Encoding.ASCII.GetBytes(version + "\0");
        return File.ReadAllBytes(path).AsSpan().IndexOf(needle) >= 0;
    }

    [Fact]
    public void Torch_runs_and_the_patch_is_used_exactly_when_libstdcxx_lacks_GLIBCXX_3_4_32()
    {
        if (!OperatingSystem.IsLinux()) return;
        TorchRuntime.EnsureLoaded();
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = a.matmul(a.t());
        Assert.Equal(new float[] { 5, 14, 14, 50 }, b.data<float>().ToArray());

        bool hasVersion = SystemLibstdcxxHas("GLIBCXX_3.4.32");
        Assert.Equal(!hasVersion, TorchRuntime.UsesPatchedCopy);
        Assert.NotNull(TorchRuntime.LoadedFrom);
        if (TorchRuntime.UsesPatchedCopy)
        {
            Assert.False(NativeLibrary.TryLoad(OriginalLibrary(), out _));
            Assert.StartsWith(MMAdapt.Core.IO.CacheDirectory.Root, TorchRuntime.LoadedFrom);
        }
    }

    [Fact]
    public void Patch_flips_one_flag_bit_and_is_idempotent()
    {
        if (!OperatingSystem.IsLinux()) return;
        var original = File.ReadAllBytes(OriginalLibrary());
        var patched = (byte[])original.Clone();
        var first = ElfVersionPatch.MakeWeak(patched, "libstdc++.so.6", "GLIBCXX_3.4.32", "lib");
        Assert.True(first.VersionFound);
        Assert.True(first.Changed);
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        Assert.Single(differing);
        Assert.Equal(2, patched[differing[0]] ^ original[differing[0]]);

        var again = (byte[])patched.Clone();
        var second = ElfVersionPatch.MakeWeak(again, "libstdc++.so.6", "GLIBCXX_3.4.32", "lib");
        Assert.True(second.VersionFound);
        Assert.False(second.Changed);
        Assert.Equal(patched, again);

        Assert.Contains("libtorch.so", ElfVersionPatch.NeededLibraries(original, "lib"));
    }

    [Fact]
    public void Patch_leaves_libraries_without_that_version_alone()
    {
        if (!OperatingSystem.IsLinux()) return;
        var libc10 = Path.Combine(Path.GetDirectoryName(OriginalLibrary())!, "libc10.so");
        if (!File.Exists(libc10)) return;
        var bytes = File.ReadAllBytes(libc10);
        var copy = (byte[])bytes.Clone();
        var result = ElfVersionPatch.MakeWeak(copy, "libstdc++.so.6", "GLIBCXX_3.4.32", libc10);
        Assert.False(result.VersionFound);
        Assert.Equal(bytes, copy);
    }

    [Fact]
    public void Patch_refuses_a_library_whose_relocation_binds_a_symbol_of_that_version()
    {
        if (!OperatingSystem.IsLinux()) return;
        // Point one relocation at the marker symbol: the patch must refuse, naming the symbol.
        var bytes = File.ReadAllBytes(OriginalLibrary());
        int markerIndex = DynamicSymbolIndex(bytes, "_ZSt21ios_base_library_initv");
        var (relaOffset, _) = Section(bytes, 4 /* SHT_RELA */);
        ulong info = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)relaOffset + 8));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)relaOffset + 8), ((ulong)markerIndex << 32) | (info & 0xffffffff));
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionPatch.MakeWeak(bytes, "libstdc++.so.6", "GLIBCXX_3.4.32", "libX.so"));
        Assert.Contains("libX.so", e.Message);
        Assert.Contains("_ZSt21ios_base_library_initv@GLIBCXX_3.4.32", e.Message);
    }

    [Fact]
    public void Patch_names_the_file_when_it_is_not_an_ELF_library()
    {
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionPatch.MakeWeak(new byte[100], "libstdc++.so.6", "GLIBCXX_3.4.32", "bogus.so"));
        Assert.Contains("bogus.so", e.Message);
        Assert.Contains("not an ELF", e.Message);
        var truncated = File.Exists("/bin/sh") ? File.ReadAllBytes("/bin/sh")[..200] : null;
        if (truncated is not null)
            Assert.Throws<InvalidDataException>(() => ElfVersionPatch.MakeWeak(truncated, "libstdc++.so.6", "GLIBCXX_3.4.32", "short.so"));
    }

    private static (ulong Offset, ulong Size) Section(byte[] b, uint type, int skip = 0)
    {
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x28));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3C));
        for (int i = 0; i < shnum; i++)
        {
            int at = (int)shoff + 64 * i;
            if (BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 4)) == type && skip-- == 0)
                return (BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at + 0x18)), BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at + 0x20)));
        }
        throw new InvalidOperationException($"no section of type {type}");
    }

    private static int DynamicSymbolIndex(byte[] b, string name)
    {
        var (symOff, symSize) = Section(b, 11 /* SHT_DYNSYM */);
        // .dynstr is the string table the dynsym links to; find it via sh_link
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x28));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3C));
        uint link = 0;
        for (int i = 0; i < shnum; i++)
        {
            int at = (int)shoff + 64 * i;
            if (BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 4)) == 11)
                link = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 0x28));
        }
        ulong strOff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)shoff + 64 * (int)link + 0x18));
        var target = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        for (int s = 1; s < (int)(symSize / 24); s++)
        {
            uint nameOff = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)symOff + 24 * s));
            if (b.AsSpan((int)(strOff + nameOff), target.Length).SequenceEqual(target))
                return s;
        }
        throw new InvalidOperationException($"{name} not in .dynsym");
    }
}
