using System.Text.Json.Nodes;
using MMAdapt.Adapters.Peft;
using MMAdapt.Adapters.Persistence;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Training;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Finetune.Running;

/// <summary>Checkpoints carry their adapters in the adapters' own formats (PEFT folders, MMAdapt modules), which load
/// back without the recipe and give the trained model's outputs.</summary>
[Collection(nameof(SmokeRunCollection))]
public class CheckpointAdaptersTests(SmokeRun smoke)
{
    [Fact]
    public void The_mixture_and_the_gates_reload_from_their_own_files_into_a_bare_model()
    {
        var final = Path.Combine(smoke.OutputDir, "experts", "final");
        var adapters = Path.Combine(final, CheckpointAdapters.FolderName);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapters, MmadaptModules.ConfigFile)))!;
        var modules = config["modules"]!.AsArray();
        Assert.Equal(["mag", "moe"], modules.Select(m => m!["name"]!.GetValue<string>()).Distinct().Order(StringComparer.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(smoke.OutputDir, "experts", "step_20", CheckpointAdapters.FolderName)));

        // The recipe's model without adapters; the adapters from their folder; the connectors from trained.safetensors.
        var bare = smoke.Recipe(smoke.OutputDir) with { Adapters = [] };
        using var rebuilt = RecipeModelBuilder.Build(bare);
        Assert.Equal(modules.Count, MmadaptModules.Load(rebuilt.Components, adapters));
        using (var trainedWeights = SafetensorsFile.Open(Path.Combine(final, TrainingCheckpoint.WeightsFile)))
        {
            var parameters = ParameterSelection.All(rebuilt.Components).ToDictionary(p => p.Name, p => p.Parameter);
            foreach (var name in trainedWeights.Tensors.Select(t => t.Name).Where(n => n.StartsWith("connector:", StringComparison.Ordinal)))
                trainedWeights.ReadInto(name, parameters[name]);
        }

        var (reference, recipe, _) = TrainedModel.Load(smoke.OutputDir);
        using (reference)
        {
            var rows = ConversationExamples.Load(reference, recipe.Data.Eval!.Path, 4);
            var samples = Enumerable.Range(0, rows.Count).Select(rows.Encode).OfType<MMAdapt.Finetune.Multimodal.EncodedSample>().ToList();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            foreach (var root in rebuilt.Components.Select(c => c.Root).Concat(reference.Components.Select(c => c.Root)))
                root.train(false);
            using var batch = reference.Collate(samples);
            var expected = reference.Forward(batch, reference.Context(batch, training: false)).Logits;
            var actual = rebuilt.Forward(batch, rebuilt.Context(batch, training: false)).Logits;
            Assert.True(expected.equal(actual).all().item<bool>(), $"logits differ by up to {(expected - actual).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void A_lora_adapter_is_written_as_a_peft_folder_that_peft_style_loading_reads()
    {
        using var temp = new TempFolder();
        var output = temp.File("lora");
        var recipe = RecipeLoader.Load(SmokeRun.RecipePath,
        [
            .. smoke.Overrides(output), "adapters.0.type=lora", "adapters.0.settings={r: 4, lora_alpha: 8}",
            "stages.0.max_steps=2", "stages.0.warmup_steps=0", "stages.1.max_steps=3", "stages.1.warmup_steps=0", "stages.1.save_every=0",
        ]);
        RecipeTrainer.Train(recipe);

        var final = Path.Combine(output, "experts", "final");
        var folder = Path.Combine(final, CheckpointAdapters.FolderName, "moe");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json")))!;
        Assert.Equal(("LORA", 4), (config["peft_type"]!.GetValue<string>(), config["r"]!.GetValue<int>()));

        using var llm = LlamaForCausalLM.FromPretrained(FixturePaths.Of("models", "smoke", "llm"));
        PeftAdapter.Load(llm, folder, "moe");
        var loaded = llm.state_dict().Where(kv => kv.Key.Contains(".adapters.moe.", StringComparison.Ordinal)).ToList();
        using var trained = SafetensorsFile.Open(Path.Combine(final, TrainingCheckpoint.WeightsFile));
        Assert.Equal(trained.Tensors.Count(t => t.Name.StartsWith("llm.", StringComparison.Ordinal) && t.Name.Contains(".adapters.moe.", StringComparison.Ordinal)), loaded.Count);
        Assert.Contains(loaded, kv => kv.Key.EndsWith("lora_B.weight", StringComparison.Ordinal) && kv.Value.abs().sum().item<float>() > 0);
        foreach (var (key, tensor) in loaded)
            using (var expected = trained.Read("llm." + key))
                Assert.True(expected.equal(tensor).all().item<bool>(), key);
    }
}
