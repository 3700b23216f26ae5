using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Connectors;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Finetune.Training;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Training;

/// <summary>The notebook path: a model loaded from folders, adapters attached by hand, stages run by a <see cref="Trainer"/>.</summary>
public class TrainerTests
{
    private static MultimodalModel TinyModel() => MultimodalModel.Load(
        new ModelSection
        {
            Llm = new() { Path = FixturePaths.Of("models", "tiny", "llm") },
            Vision = new() { Path = FixturePaths.Of("models", "tiny", "vision"), FeatureLayer = -1 },
            Audio = new() { Path = FixturePaths.Of("models", "tiny", "audio") },
        },
        imageConnector: new DownsampleOptions { Mode = "avg", Factor = 8, Depth = 2 },
        audioConnector: new DownsampleOptions { Mode = "avg", Factor = 10 },
        maxSeqLen: 160, device: "cpu");

    [Fact]
    public void A_loaded_model_has_frozen_backbones_and_counts_attached_adapters_on_rows_of_their_own()
    {
        using var model = TinyModel();
        var summary = model.Summary();
        Assert.Equal(["llm", "vision", "audio", "connector:image", "connector:audio"], summary.Components.Select(c => c.Component));
        Assert.Equal((781_312L, 0L), (summary.Components[0].Parameters, summary.Components[0].Trainable));
        Assert.All(summary.Components.Skip(3), c => Assert.Equal(c.Parameters, c.Trainable));
        Assert.Equal("llama: 4 layers, hidden 128, vocab 467", summary.Components[0].Description);
        Assert.Equal("64 -> 128", summary.Components[3].Description);

        LoraAttacher.Attach(model.Llm, "llm", new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ModuleSelector.Of("q_proj", "v_proj") }, "lora");
        var counts = model.ParameterCounts();
        // 4 layers x rank 4 x (q_proj 128 in + 128 out, v_proj 128 in + 64 out: 2 key/value heads of 32).
        Assert.Equal(4 * 4 * ((128 + 128) + (128 + 64)), counts.OfAdapter("lora"));
        var lora = counts.Rows.Single(r => r.Adapter == "lora");
        Assert.Equal(("llm", lora.Parameters), (lora.Component, lora.Trainable));
        Assert.Equal(781_312L, counts.Rows.Single(r => r is { Component: "llm", Adapter: null }).Parameters);
        Assert.Equal(summary.Parameters + 7168, counts.Total);
        Assert.Matches(@"llm\s+lora\s+7,168\s+7,168\s+100\.00%", counts.ToText());
    }

    [Fact]
    public void Stages_run_one_after_another_into_one_folder_and_a_folder_holding_a_run_needs_overwrite()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "data");
        SyntheticDataset.Generate(data, new SyntheticDatasetOptions { Seed = 3, Count = 12, TestCount = 4 });
        using var model = TinyModel();
        LoraAttacher.Attach(model.Llm, "llm", new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ModuleSelector.Of("q_proj", "v_proj") }, "lora");
        var train = ConversationExamples.Load(model, Path.Combine(data, "train.jsonl"));
        var test = ConversationExamples.Load(model, Path.Combine(data, "test.jsonl"));
        var output = Path.Combine(folder.Path, "run");

        var trainer = new Trainer(model, output);
        trainer.Train(new StageSettings { Name = "align", Train = ["connector:image", "connector:audio"], MaxSteps = 2, BatchSize = 2, LogEvery = 1 }, train);
        var second = trainer.Train(new StageSettings { Name = "tune", Train = ["adapter:lora"], MaxSteps = 3, BatchSize = 2, LogEvery = 1 }, train, test);
        Assert.Equal(5, trainer.Step);
        Assert.Equal(["align", "tune"], trainer.Metrics().Stages);
        Assert.Equal([1, 2, 3, 4, 5], trainer.Metrics().Series("loss").Select(p => p.Step));
        Assert.NotNull(trainer.Metrics().Last("eval_accuracy", "tune"));
        // The second stage's checkpoint keeps what the first trained, so it alone restores the model.
        Assert.Contains(second.TrainedParameters, p => p.StartsWith("connector:image.", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(second.FinalCheckpoint, TrainingCheckpoint.WeightsFile)));

        Assert.Contains("ran already", Assert.Throws<ArgumentException>(() => trainer.Train(new StageSettings { Name = "tune", Train = ["adapter:lora"], MaxSteps = 1 }, train)).Message);
        Assert.Contains("pass overwrite: true", Assert.Throws<InvalidOperationException>(() => new Trainer(model, output)).Message);
        var again = new Trainer(model, output, overwrite: true);
        Assert.False(Directory.Exists(Path.Combine(again.OutputDir, "align")));
    }
}
