using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;
using MMAdapt.Core.IO;
using TorchSharp;

namespace MMAdapt.Core.Native;

/// <summary>
/// Makes TorchSharp's native library load on Linux machines whose libstdc++ predates GCC 13
/// (Debian 12, Ubuntu 22.04), without touching any installed or built file.
/// </summary>
/// <remarks>
/// <para>TorchSharp 0.107's <c>libLibTorchSharp.so</c> requires <c>GLIBCXX_3.4.32</c> only as a marker
/// (see <see cref="ElfVersionPatch"/>). When the original fails to load, a copy with that requirement
/// made weak is written once to <c>&lt;cache&gt;/native/libtorchsharp-&lt;hash&gt;/</c> and handed to
/// the runtime whenever TorchSharp asks for <c>LibTorchSharp</c>: through a <c>DllImportResolver</c> on
/// the TorchSharp assembly (its P/Invokes) and the <c>ResolvingUnmanagedDll</c> event (its own
/// <c>NativeLibrary.TryLoad</c> probe, which the resolver does not see). Where the original loads, it is
/// used as it is.</para>
/// <para>The hooks are installed by a module initializer as soon as this assembly loads, so any use of an
/// MMAdapt type before the first <c>torch</c> call is enough. Code that calls TorchSharp before touching
/// MMAdapt (a notebook's first cell, say) calls <see cref="EnsureLoaded"/> first.</para>
/// </remarks>
public static class TorchRuntime
{
    private const string NativeName = "LibTorchSharp";
    private const string NativeFile = "libLibTorchSharp.so";
    private static readonly object Gate = new();
    private static bool installed;
    private static IntPtr handle;
    private static string? failure;

    /// <summary>Where the native library came from after loading: the original, or a patched copy.</summary>
    public static string? LoadedFrom { get; private set; }

    /// <summary>True when the patched copy was needed on this machine.</summary>
    public static bool UsesPatchedCopy { get; private set; }

#pragma warning disable CA2255 // A library module initializer is the point: it must run before TorchSharp's first call.
    [ModuleInitializer]
    internal static void InstallOnLoad() => Install();
#pragma warning restore CA2255

    /// <summary>Installs the loading hooks (idempotent). Called automatically when MMAdapt.Core loads.</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (installed)
                return;
            installed = true;
            if (!OperatingSystem.IsLinux())
                return;
            var torchAssembly = typeof(torch).Assembly;
            try
            {
                NativeLibrary.SetDllImportResolver(torchAssembly, (name, _, _) => name == NativeName ? Resolve() : IntPtr.Zero);
            }
            catch (InvalidOperationException)
            {
                // Someone else set a resolver; the event below still covers every failed probe.
            }
            var context = AssemblyLoadContext.GetLoadContext(torchAssembly) ?? AssemblyLoadContext.Default;
            context.ResolvingUnmanagedDll += (_, name) => name == NativeName ? Resolve() : IntPtr.Zero;
        }
    }

    /// <summary>
    /// Installs the hooks and initialises TorchSharp's CPU backend, turning a load failure into one
    /// message that says what was tried.
    /// </summary>
    /// <exception cref="InvalidOperationException">TorchSharp's native library cannot be loaded.</exception>
    public static void EnsureLoaded()
    {
        Install();
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e) when (e is NotSupportedException or TypeInitializationException or DllNotFoundException)
        {
            var detail = failure ?? e.GetBaseException().Message.Split('\n')[0];
            throw new InvalidOperationException($"TorchSharp's native library could not be loaded: {detail}", e);
        }
    }

    private static IntPtr Resolve()
    {
        lock (Gate)
        {
            if (handle != IntPtr.Zero || failure is not null)
                return handle;
            try
            {
                handle = LoadOriginalOrPatched();
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or DllNotFoundException or BadImageFormatException)
            {
                failure = e.Message;
            }
            return handle;
        }
    }

    private static IntPtr LoadOriginalOrPatched()
    {
        var original = FindOriginal();
        if (original is null)
        {
            failure = $"{NativeFile} was not found next to TorchSharp.dll nor in the runtime's native search folders.";
            return IntPtr.Zero;
        }
        if (NativeLibrary.TryLoad(original, out var direct))
        {
            LoadedFrom = original;
            return direct;
        }

        var bytes = File.ReadAllBytes(original);
        var result = ElfVersionPatch.MakeWeak(bytes, "libstdc++.so.6", "GLIBCXX_3.4.32", original);
        if (!result.VersionFound)
        {
            // Not the GLIBCXX problem: report the loader's own reason.
            NativeLibrary.Load(original);
        }
        var hash = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var patched = Path.Combine(CacheDirectory.Folder("native", $"libtorchsharp-{hash}"), NativeFile);
        if (!File.Exists(patched))
            AtomicFile.WriteAllBytes(patched, bytes);

        // The copy lives away from libtorch, so its $ORIGIN RUNPATH finds nothing: load its libtorch
        // dependencies first, from where the original's would come from; the loader then matches them by SONAME.
        foreach (var needed in ElfVersionPatch.NeededLibraries(bytes, original))
            PreloadDependency(needed, Path.GetDirectoryName(original)!);

        var loaded = NativeLibrary.Load(patched);
        LoadedFrom = patched;
        UsesPatchedCopy = true;
        return loaded;
    }

    private static void PreloadDependency(string soname, string originalFolder)
    {
        if (IsSystemLibrary(soname))
            return;
        foreach (var folder in SearchFolders().Prepend(originalFolder))
        {
            var candidate = Path.Combine(folder, soname);
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out _))
                return;
        }
        // Fall back to the runtime's own probing (deps.json native assets).
        var bare = soname.StartsWith("lib", StringComparison.Ordinal) ? soname[3..] : soname;
        bare = bare.EndsWith(".so", StringComparison.Ordinal) ? bare[..^3] : bare;
        NativeLibrary.TryLoad(bare, typeof(torch).Assembly, null, out _);
    }

    private static bool IsSystemLibrary(string soname) =>
        soname.StartsWith("libc.so", StringComparison.Ordinal) || soname.StartsWith("libm.so", StringComparison.Ordinal) ||
        soname.StartsWith("libstdc++", StringComparison.Ordinal) || soname.StartsWith("libgcc_s", StringComparison.Ordinal) ||
        soname.StartsWith("ld-linux", StringComparison.Ordinal) || soname.StartsWith("libpthread", StringComparison.Ordinal) ||
        soname.StartsWith("libdl.so", StringComparison.Ordinal) || soname.StartsWith("librt.so", StringComparison.Ordinal);

    private static string? FindOriginal() =>
        SearchFolders().Select(f => Path.Combine(f, NativeFile)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Folders that may hold TorchSharp's and libtorch's native files: the runtime's native search
    /// folders (from deps.json), TorchSharp.dll's folder and its <c>runtimes/linux-x64/native</c>, and,
    /// when TorchSharp.dll is used straight from the NuGet cache (notebooks), the package folders.
    /// </summary>
    private static IEnumerable<string> SearchFolders()
    {
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string dirs)
            foreach (var d in dirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                yield return d;
        var torchDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (string.IsNullOrEmpty(torchDir))
            yield break;
        yield return torchDir;
        yield return Path.Combine(torchDir, "runtimes", rid, "native");
        // <packages>/torchsharp/<version>/lib/<tfm>/TorchSharp.dll
        var packageRoot = Path.GetFullPath(Path.Combine(torchDir, "..", ".."));
        yield return Path.Combine(packageRoot, "runtimes", rid, "native");
        var packages = Path.GetFullPath(Path.Combine(packageRoot, "..", ".."));
        if (Directory.Exists(packages))
            foreach (var libtorch in Directory.EnumerateDirectories(packages, $"libtorch-cpu-{rid}*"))
                foreach (var version in Directory.EnumerateDirectories(libtorch))
                    yield return Path.Combine(version, "runtimes", rid, "native");
    }

    /// <summary>The version of the TorchSharp assembly in use (for diagnostics).</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";
}
