namespace MMAdapt.Tests.TestSupport;

/// <summary>Paths of the reference fixtures copied next to the test assembly.</summary>
internal static class FixturePaths
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>A tensor of a fixture's expected.safetensors (the caller disposes it).</summary>
    public static TorchSharp.torch.Tensor Expected(string fixture, string name)
    {
        using var file = MMAdapt.Core.Checkpoints.SafetensorsFile.Open(Of(fixture, "expected.safetensors"));
        return file.Read(name);
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mmadapt-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Copies a fixture folder's files into a new sub-folder and returns its path.</summary>
    public string CopyOf(string source, string name = "copy")
    {
        var target = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            var destination = System.IO.Path.Combine(target, System.IO.Path.GetFileName(file));
            System.IO.File.Copy(file, destination);
            System.IO.File.SetAttributes(destination, FileAttributes.Normal);
        }
        return target;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
