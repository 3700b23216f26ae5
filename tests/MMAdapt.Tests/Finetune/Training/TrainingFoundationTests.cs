using MMAdapt.Finetune.Training;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Finetune.Training;

public class TrainingFoundationTests
{
    private static List<(string, Parameter)> Parameters(int seed) =>
    [
        ("a", new Parameter(randn([4, 3], generator: new Generator((ulong)seed)))),
        ("b", new Parameter(randn([5], generator: new Generator((ulong)seed + 1)))),
    ];

    private static void Gradients(IEnumerable<(string, Parameter)> parameters, int step)
    {
        int i = 0;
        foreach (var (_, p) in parameters)
            p.grad = randn(p.shape, generator: new Generator((ulong)(1000 + 10 * step + i++)));
    }

    [Fact]
    public void AdamW_matches_torch_AdamW()
    {
        var ours = Parameters(1);
        var theirs = Parameters(1);
        using var optimizer = new AdamWOptimizer([new AdamWOptimizer.Group("all", ours, 0.01, 0.1)]);
        using var reference = optim.AdamW(theirs.Select(p => p.Item2), lr: 0.01, weight_decay: 0.1);
        for (int step = 0; step < 5; step++)
        {
            Gradients(ours, step);
            Gradients(theirs, step);
            optimizer.Step(1.0);
            reference.step();
        }
        foreach (var ((_, a), (_, b)) in ours.Zip(theirs))
            TensorAssert.Close(a, b, 1e-6, "AdamW parameters");
    }

    [Fact]
    public void Restored_state_continues_bit_identically()
    {
        var uninterrupted = Parameters(2);
        using var first = new AdamWOptimizer([new AdamWOptimizer.Group("all", uninterrupted, 0.02, 0.01)]);
        for (int step = 0; step < 5; step++) { Gradients(uninterrupted, step); first.Step(0.5 + step / 10.0); }

        var resumed = Parameters(2);
        using var before = new AdamWOptimizer([new AdamWOptimizer.Group("all", resumed, 0.02, 0.01)]);
        for (int step = 0; step < 3; step++) { Gradients(resumed, step); before.Step(0.5 + step / 10.0); }
        var saved = before.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var after = new AdamWOptimizer([new AdamWOptimizer.Group("all", resumed, 0.02, 0.01)]);
        after.LoadState(saved, before.StepCount);
        for (int step = 3; step < 5; step++) { Gradients(resumed, step); after.Step(0.5 + step / 10.0); }

        foreach (var ((_, a), (_, b)) in uninterrupted.Zip(resumed))
            Assert.True(a.eq(b).all().item<bool>());
        Assert.Equal(["exp_avg.a", "exp_avg.b", "exp_avg_sq.a", "exp_avg_sq.b"], saved.Keys.Order(StringComparer.Ordinal));
        var wrong = new Dictionary<string, Tensor> { ["exp_avg.c"] = zeros(1) };
        Assert.Contains("belongs to no trained parameter", Assert.Throws<InvalidDataException>(() => after.LoadState(wrong, 1)).Message);
    }

    [Theory]
    [InlineData(ScheduleKind.Cosine, new[] { 0.25, 0.5, 0.75, 1.0, 1.0, 0.5, 0.0 })]
    [InlineData(ScheduleKind.Linear, new[] { 0.25, 0.5, 0.75, 1.0, 1.0, 0.5, 0.0 })]
    [InlineData(ScheduleKind.Constant, new[] { 0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0 })]
    public void Schedule_warms_up_then_decays(ScheduleKind kind, double[] expected)
    {
        // 4 warm-up steps of 8; factors at steps 0, 1, 2, 3, 4, 6, 8.
        int[] steps = [0, 1, 2, 3, 4, 6, 8];
        for (int i = 0; i < steps.Length; i++)
            Assert.Equal(expected[i], LearningRateSchedule.Factor(steps[i], 8, 4, kind), 10);
    }

    [Fact]
    public void Checkpoint_folders_are_all_or_nothing_and_pruned()
    {
        using var temp = new TempFolder();
        var stage = temp.File("align");
        for (int step = 10; step <= 40; step += 10)
            CheckpointFolders.Write(Path.Combine(stage, $"step_{step}"), dir => File.WriteAllText(Path.Combine(dir, "state.json"), $"{{\"step\":{step}}}"));
        Assert.Throws<InvalidOperationException>(() => CheckpointFolders.Write(Path.Combine(stage, "step_50"), dir =>
        {
            File.WriteAllText(Path.Combine(dir, "half.bin"), "x");
            throw new InvalidOperationException("killed mid-save");
        }));
        Assert.Equal([10, 20, 30, 40], CheckpointFolders.Steps(stage).Select(s => s.Step));
        Assert.DoesNotContain(Directory.EnumerateDirectories(stage), d => Path.GetFileName(d).StartsWith(".partial", StringComparison.Ordinal));

        // A save that dies before the rename leaves a temporary folder that readers ignore and pruning removes.
        Directory.CreateDirectory(Path.Combine(stage, ".partial-step_60-deadbeef"));
        Assert.Equal(4, CheckpointFolders.Steps(stage).Count);
        CheckpointFolders.Prune(stage, keepLast: 2);
        Assert.Equal([30, 40], CheckpointFolders.Steps(stage).Select(s => s.Step));
        Assert.Empty(Directory.EnumerateDirectories(stage, ".partial*"));

        // Saving a step again replaces it whole.
        CheckpointFolders.Write(Path.Combine(stage, "step_40"), dir => File.WriteAllText(Path.Combine(dir, "state.json"), "{\"step\":40,\"again\":true}"));
        Assert.Contains("again", File.ReadAllText(Path.Combine(stage, "step_40", "state.json")));
    }
}
