using MMAdapt.Finetune.Pretraining;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Pretraining;

/// <summary>Checks shared by the tower pretrainer tests.</summary>
internal static class TowerFolderAssert
{
    /// <summary>Both folders hold exactly the Hugging Face tower files, byte for byte alike.</summary>
    public static void IdenticalTowerFolders(string a, string b)
    {
        var files = Directory.GetFiles(a).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["config.json", "model.safetensors", "preprocessor_config.json"], files);
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(a, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, file))), $"{file} differs between runs");
    }

    /// <summary>Runs <paramref name="train"/> into two folders and checks they are byte-identical; returns the first report.</summary>
    public static TowerPretrainingReport TrainsIdenticallyTwice(Func<string, TowerPretrainingReport> train)
    {
        using var temp = new TempFolder();
        var report = train(temp.File("a"));
        train(temp.File("b"));
        IdenticalTowerFolders(temp.File("a"), temp.File("b"));
        return report;
    }
}
