using System.Diagnostics;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Finetune.Training;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Running;

/// <summary>
/// End to end (about half a minute): <c>mmadapt train</c> in a child process, killed with SIGKILL at random moments and
/// once in the middle of writing a checkpoint, then resumed each time. Every checkpoint left behind must load, and the
/// final tensors must equal the uninterrupted run's byte for byte.
/// </summary>
[Collection(nameof(SmokeRunCollection))]
[Trait("Category", "EndToEnd")]
public class KilledTrainingTests(SmokeRun smoke)
{
    [Fact]
    public void A_run_killed_at_random_moments_and_during_a_save_resumes_to_the_uninterrupted_result()
    {
        using var temp = new TempFolder();
        var output = temp.File("killed");
        var random = new Random(20261124);
        var kills = new List<string>();

        // Round 1 starts the run; later rounds resume it. Round 2 is killed as soon as a checkpoint starts being written.
        for (int round = 0; round < 4; round++)
        {
            var args = smoke.Overrides(output).Prepend(SmokeRun.RecipePath).Prepend("train").ToList();
            if (round > 0)
                args.Add("--resume");
            using var process = Start(args);
            bool killed = round == 1
                ? KillWhenACheckpointStarts(process, output)
                : KillAfter(process, TimeSpan.FromSeconds(0.8 + 3.5 * random.NextDouble()));
            if (!killed)
            {
                Assert.True(process.ExitCode == 0, $"round {round}: mmadapt train failed with exit code {process.ExitCode}:\n{process.StandardError.ReadToEnd()}");
                break;
            }
            kills.Add($"round {round}: killed with {Checkpoints(output).Count} checkpoints on disk");
            AssertEveryCheckpointLoads(output);
        }
        Assert.NotEmpty(kills);

        // The last resume runs to the end.
        using (var last = Start(smoke.Overrides(output).Prepend(SmokeRun.RecipePath).Prepend("train").Append("--resume").ToList()))
        {
            Assert.True(last.WaitForExit(TimeSpan.FromMinutes(3)), "the final resume did not finish in 3 minutes");
            Assert.True(last.ExitCode == 0, $"final resume failed ({string.Join("; ", kills)}):\n{last.StandardError.ReadToEnd()}");
        }
        AssertEveryCheckpointLoads(output);
        foreach (var stage in new[] { "align", "experts" })
        {
            var expected = File.ReadAllBytes(Path.Combine(smoke.OutputDir, stage, "final", TrainingCheckpoint.WeightsFile));
            var actual = File.ReadAllBytes(Path.Combine(output, stage, "final", TrainingCheckpoint.WeightsFile));
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{stage}/final differs from the uninterrupted run ({string.Join("; ", kills)})");
        }
    }

    // `mmadapt train ...` from the test's output folder, as its own process.
    private static Process Start(IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mmadapt.dll"));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.StandardOutput.BaseStream.CopyToAsync(Stream.Null); // never block on a full pipe
        return process;
    }

    private static bool KillAfter(Process process, TimeSpan delay)
    {
        if (process.WaitForExit(delay))
            return false;
        process.Kill(entireProcessTree: true); // SIGKILL on Unix
        process.WaitForExit();
        return true;
    }

    // Polls for a checkpoint being written (its hidden temporary folder) and kills the process the moment one appears.
    private static bool KillWhenACheckpointStarts(Process process, string output)
    {
        var watch = Stopwatch.StartNew();
        while (!process.HasExited && watch.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (Directory.Exists(output) && Directory.EnumerateDirectories(output, ".partial-*", SearchOption.AllDirectories).Any())
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return true;
            }
            Thread.SpinWait(1000);
        }
        return KillAfter(process, TimeSpan.Zero);
    }

    private static List<string> Checkpoints(string output) =>
        !Directory.Exists(output) ? [] :
        Directory.EnumerateDirectories(output).SelectMany(stage =>
            CheckpointFolders.Steps(stage).Select(s => s.Folder).Concat(Directory.Exists(Path.Combine(stage, "final")) ? [Path.Combine(stage, "final")] : [])).ToList();

    // Every complete checkpoint: its state parses and every tensor of its files reads.
    private static void AssertEveryCheckpointLoads(string output)
    {
        foreach (var checkpoint in Checkpoints(output))
        {
            var state = TrainingCheckpoint.ReadState(checkpoint);
            Assert.True(state.StageStep > 0, $"{checkpoint}: stage_step {state.StageStep}");
            foreach (var file in new[] { TrainingCheckpoint.WeightsFile, TrainingCheckpoint.OptimizerFile })
            {
                var path = Path.Combine(checkpoint, file);
                if (file == TrainingCheckpoint.OptimizerFile && !File.Exists(path))
                    continue; // final checkpoints keep no optimiser state
                using var tensors = SafetensorsFile.Open(path);
                foreach (var info in tensors.Tensors)
                    using (var tensor = tensors.Read(info.Name))
                        Assert.Equal(info.Shape, tensor.shape);
            }
        }
    }
}
