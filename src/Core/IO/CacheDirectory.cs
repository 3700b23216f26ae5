namespace MMAdapt.Core.IO;

/// <summary>
/// The folder where MMAdapt keeps files it derives on the fly (the patched TorchSharp native library,
/// generated datasets). Chosen as: <c>MMADAPT_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/mmadapt</c>, else
/// <c>~/.cache/mmadapt</c>, else a folder under the system temp directory.
/// </summary>
public static class CacheDirectory
{
    /// <summary>The environment variable that overrides the cache folder.</summary>
    public const string EnvironmentVariable = "MMADAPT_CACHE_DIR";

    /// <summary>The cache root (not created by this call).</summary>
    public static string Root
    {
        get
        {
            var explicitDir = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(explicitDir))
                return Path.GetFullPath(explicitDir);
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrWhiteSpace(xdg))
                return Path.Combine(xdg, "mmadapt");
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (!string.IsNullOrEmpty(home))
                return Path.Combine(home, ".cache", "mmadapt");
            return Path.Combine(Path.GetTempPath(), $"mmadapt-{Environment.UserName}");
        }
    }

    /// <summary>A sub-folder of the cache, created if missing.</summary>
    public static string Folder(params string[] parts)
    {
        var path = Path.Combine([Root, .. parts]);
        Directory.CreateDirectory(path);
        return path;
    }
}
