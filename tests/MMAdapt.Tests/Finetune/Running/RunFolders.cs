using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Training;
using Xunit;

namespace MMAdapt.Tests.Finetune.Running;

/// <summary>Training output folders in resume tests: copying what a killed run leaves behind, and comparing two runs.</summary>
internal static class RunFolders
{
    // Copies a run folder's files whose relative path (with '/') passes `keep`.
    public static void CopyRun(string from, string to, Func<string, bool> keep)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file).Replace('\\', '/');
            if (!keep(relative) || relative.StartsWith("tensorboard/", StringComparison.Ordinal))
                continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        // The resolved recipe names the output folder it was written for.
        File.WriteAllText(Path.Combine(to, RecipeLoader.ResolvedFileName),
            File.ReadAllText(Path.Combine(from, RecipeLoader.ResolvedFileName)).Replace(from, to, StringComparison.Ordinal));
    }

    public static void AssertSameTensors(string expected, string actual, string checkpoint)
    {
        foreach (var file in new[] { TrainingCheckpoint.WeightsFile, TrainingCheckpoint.OptimizerFile })
        {
            var a = Path.Combine(expected, checkpoint, file);
            if (File.Exists(a))
                Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, checkpoint, file))), $"{checkpoint}/{file} differs");
        }
    }

    // The metrics files agree line for line, except the throughput, which is a timing.
    public static void AssertSameMetrics(string expected, string actual)
    {
        static List<string> Lines(string folder) => MetricsLog.Read(Path.Combine(folder, MetricsLog.FileName))
            .Select(l => string.Join(",", l.Where(kv => kv.Key != "tokens_per_s").Select(kv => $"{kv.Key}={kv.Value}"))).ToList();
        Assert.Equal(Lines(expected), Lines(actual));
    }
}
