using MMAdapt.Core.Checkpoints;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Training;
using MMAdapt.Models.Chat;
using MMAdapt.Tests.Finetune.Multimodal;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Finetune.Training;

/// <summary>Conversations held in memory, for tests.</summary>
internal sealed class InMemoryExamples(MultimodalModel model, IReadOnlyList<(string Question, string Answer, string[] Images, string[] Audios)> rows) : ITrainingExamples
{
    public int Count => rows.Count;

    public EncodedSample? Encode(int index) =>
        model.EncodeConversation([ChatMessage.User(rows[index].Question), ChatMessage.Assistant(rows[index].Answer)], rows[index].Images, rows[index].Audios, $"row {index + 1}");

    public CheckableQuestion? Question(int index) =>
        new([ChatMessage.User(rows[index].Question)], rows[index].Images, rows[index].Audios, rows[index].Answer);

    public void CheckClassLabels(int labels) => throw new NotSupportedException("these examples carry no class labels.");
}

public class StageRunnerTests
{
    private static readonly string Image = FixturePaths.Of("image", "image_56x40.png");
    private static readonly string Sound = FixturePaths.Of("whisper_encoder", "audio_16k_mono.wav");

    private static InMemoryExamples Examples(MultimodalModel model) => new(model,
    [
        ("<image>\nwhat colour is the shape?", "red.", [Image], []),
        ("<audio>\nis the sound high or low?", "high.", [], [Sound]),
        ("<image>\nhow many shapes?", "two.", [Image], []),
        ("what colour is the sky?", "blue.", [], []),
        ("<image>\n<audio>\nboth?", "a red circle and a high tone.", [Image], [Sound]),
    ]);

    private static StageSettings Align => new()
    {
        Name = "align", Train = ["connector:image", "connector:audio"], LearningRate = 3e-3, MaxSteps = 6, BatchSize = 2,
        GradientAccumulation = 2, WarmupSteps = 1, LogEvery = 1, SaveEvery = 2, KeepLast = 2, Clip = 1.0,
    };

    private static StageResult RunStage(string output, StageSettings stage, string? resume = null, bool evaluate = false)
    {
        using var model = MultimodalModelTests.Build();
        using var log = new MetricsLog(output, tensorBoard: false);
        var runner = new StageRunner(model, output, seed: 3, log);
        var examples = Examples(model);
        return runner.Run(0, stage, examples, evaluate ? examples : null, 0, [], resume);
    }

    [Fact]
    public void A_stage_trains_logs_checkpoints_and_plots()
    {
        using var temp = new TempFolder();
        var result = RunStage(temp.Path, Align with { MaxSteps = 30, LearningRate = 1e-2, GradientAccumulation = 1, SaveEvery = 4 }, evaluate: true);
        Assert.Equal(30, result.Steps);
        var all = MetricsLog.Read(Path.Combine(temp.Path, "metrics.jsonl"));
        var lines = all.Where(l => l.ContainsKey("loss")).ToList();
        Assert.Equal(30, lines.Count);
        Assert.All(lines, l => Assert.True(l.ContainsKey("lr") && l.ContainsKey("grad_norm") && l.ContainsKey("tokens_per_s")));
        Assert.Equal(Enumerable.Range(1, 30), lines.Select(l => l["step"].GetInt32()));
        // Evaluation on the same set before the first step (stage_step 0) and after the last: the loss must fall.
        var evals = all.Where(l => l.ContainsKey("eval_loss")).ToList();
        Assert.Equal([0, 30], evals.Select(l => l["stage_step"].GetInt32()));
        Assert.All(evals, l => Assert.True(l.ContainsKey("eval_accuracy")));
        double before = evals[0]["eval_loss"].GetDouble(), after = evals[1]["eval_loss"].GetDouble();
        Assert.True(after < 0.8 * before, $"eval loss {before:F3} -> {after:F3}");
        Assert.Equal([24, 28], CheckpointFolders.Steps(Path.Combine(temp.Path, "align")).Select(s => s.Step));
        Assert.True(File.Exists(Path.Combine(temp.Path, "align", "final", TrainingCheckpoint.WeightsFile)));
        Assert.True(File.Exists(Path.Combine(temp.Path, "align", "loss.png")));
        using var weights = SafetensorsFile.Open(Path.Combine(temp.Path, "align", "final", TrainingCheckpoint.WeightsFile));
        Assert.All(weights.Tensors, t => Assert.StartsWith("connector:", t.Name));
    }

    [Fact]
    public void Resuming_from_a_checkpoint_reproduces_the_uninterrupted_run_bit_for_bit()
    {
        using var temp = new TempFolder();
        RunStage(temp.File("a"), Align);
        // Continue a fresh model from the uninterrupted run's step-4 checkpoint, in another folder.
        Directory.CreateDirectory(temp.File("b"));
        var step4 = Path.Combine(temp.File("a"), "align", "step_4");
        File.Copy(Path.Combine(temp.File("a"), "metrics.jsonl"), temp.File("b/metrics.jsonl"));
        RunStage(temp.File("b"), Align, resume: step4);

        using var uninterrupted = SafetensorsFile.Open(Path.Combine(temp.File("a"), "align", "final", TrainingCheckpoint.WeightsFile));
        using var resumed = SafetensorsFile.Open(Path.Combine(temp.File("b"), "align", "final", TrainingCheckpoint.WeightsFile));
        foreach (var info in uninterrupted.Tensors)
        {
            using var a = uninterrupted.Read(info.Name);
            using var b = resumed.Read(info.Name);
            Assert.True(a.eq(b).all().item<bool>(), $"{info.Name} differs after resume");
        }
        // The resumed metrics file reads like the uninterrupted one.
        var linesA = MetricsLog.Read(temp.File("a/metrics.jsonl")).Select(l => (l["step"].GetInt32(), l["loss"].GetDouble()));
        var linesB = MetricsLog.Read(temp.File("b/metrics.jsonl")).Select(l => (l["step"].GetInt32(), l["loss"].GetDouble()));
        Assert.Equal(linesA, linesB);
    }

    [Fact]
    public void A_nan_loss_stops_the_stage_naming_the_step_and_the_last_checkpoint()
    {
        using var temp = new TempFolder();
        using var model = MultimodalModelTests.Build();
        using var log = new MetricsLog(temp.Path, tensorBoard: false);
        var runner = new StageRunner(model, temp.Path, 3, log);
        using (no_grad())
            model.ImageConnector!.parameters().First().fill_(float.NaN);
        var e = Assert.Throws<TrainingDivergedException>(() => runner.Run(0, Align, Examples(model), null, 0, []));
        Assert.Contains("stage 'align'", e.Message);
        Assert.Contains("at step 1", e.Message);
        Assert.Contains("the last good checkpoint is none", e.Message);
    }

    [Fact]
    public void The_live_tensor_count_does_not_grow_with_steps()
    {
        using var temp = new TempFolder();
        using var model = MultimodalModelTests.Build();
        using var log = new MetricsLog(temp.Path, tensorBoard: false);
        var examples = Examples(model);
        long Growth(int steps, string name)
        {
            long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            new StageRunner(model, temp.Path, 3, log).Run(0, Align with { Name = name, MaxSteps = steps, SaveEvery = 0 }, examples, null, 0, []);
            return TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }
        Growth(2, "warm");
        Assert.Equal(Growth(2, "short"), Growth(8, "long"));
    }
}
