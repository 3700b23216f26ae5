using System.Text.Json;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Training;
using MMAdapt.Tests.Cli;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Running;

/// <summary>Stages that start experts from what an earlier stage trained: CuMo's dense MLP connector upcycled into a MoE
/// connector, and a dense LoRA upcycled into a mixture of LoRA experts. Either way the model's outputs do not move at
/// the switch: the eval at the next stage's step 0 equals the eval that ended the stage before.</summary>
[Collection(nameof(SmokeRunCollection))]
public class UpcyclingRunTests(SmokeRun smoke)
{
    private static readonly string[] Short =
    [
        "stages.0.max_steps=6", "stages.0.warmup_steps=0", "stages.0.save_every=0",
        "stages.1.max_steps=4", "stages.1.warmup_steps=0", "stages.1.save_every=2",
        "data.eval.max_samples=4", "stages.1.gates.mag=false",
    ];

    private static (double End, double Start) EvalAroundTheSwitch(string output)
    {
        var evals = MetricsLog.Read(Path.Combine(output, MetricsLog.FileName)).Where(l => l.ContainsKey("eval_loss")).ToList();
        double Eval(string stage, int stageStep) => evals.Single(l => l["stage"].GetString() == stage && l["stage_step"].GetInt32() == stageStep)["eval_loss"].GetDouble();
        return (Eval("align", 6), Eval("experts", 0));
    }

    [Fact]
    public void A_dense_mlp_connector_aligned_in_stage_one_becomes_the_experts_of_the_moe_connector()
    {
        using var temp = new TempFolder();
        var output = temp.File("cumo");
        string[] overrides =
        [
            .. smoke.Overrides(output), .. Short,
            "connectors.image={type: moe, experts: 3, depth: 2}",
            "stages.0.connectors={image: {type: mlp, depth: 2}}",
            "stages.1.init.connector:image.upcycle_from=align",
        ];
        var console = new StringWriter();
        RecipeTrainer.Train(RecipeLoader.Load(SmokeRun.RecipePath, overrides), console: console);
        Assert.Contains("[experts] connector:image: the recipe's MoeConnector", console.ToString());
        Assert.Contains("[experts] connector:image: experts upcycled from align", console.ToString());

        var (end, start) = EvalAroundTheSwitch(output);
        Assert.True(Math.Abs(end - start) <= 1e-5 * end, $"eval loss moved at the switch: {end} -> {start}");

        // Stage 1 kept an MLP; stage 2's MoE experts are three copies of it (not trained further in stage 2).
        using (var aligned = SafetensorsFile.Open(Path.Combine(output, "align", "final", TrainingCheckpoint.WeightsFile)))
            Assert.All(aligned.Tensors.Where(t => t.Name.StartsWith("connector:image.", StringComparison.Ordinal)), t => Assert.True(t.Shape.Length <= 2, t.Name));
        using (var experts = SafetensorsFile.Open(Path.Combine(output, "experts", "final", TrainingCheckpoint.WeightsFile)))
        {
            var expertWeights = experts.Tensors.Where(t => t.Name.StartsWith("connector:image.", StringComparison.Ordinal) && !t.Name.Contains("router", StringComparison.Ordinal) && t.Shape.Length >= 2 && t.Shape[0] == 3).ToList();
            Assert.NotEmpty(expertWeights);
            foreach (var info in expertWeights)
                using (var stacked = experts.Read(info.Name))
                    Assert.True(stacked[0].equal(stacked[1]).all().item<bool>() && stacked[0].equal(stacked[2]).all().item<bool>(), info.Name);
        }

        // A restart after stage 1 rebuilds stage 2's connector and reproduces it byte for byte.
        var resumed = temp.File("resumed");
        RunFolders.CopyRun(output, resumed, keep: rel => !rel.StartsWith("experts/", StringComparison.Ordinal));
        RecipeTrainer.Train(RecipeLoader.Load(SmokeRun.RecipePath, [.. overrides, $"output_dir={resumed}"]), resume: true);
        RunFolders.AssertSameTensors(output, resumed, "experts/final");

        // The output folder reopens with the MoE connector; validate counts each stage's own connector.
        var (code, _, error) = CliRun.Run("eval", output);
        Assert.True(code == 0, error);
        (code, var printed, error) = CliRun.Run(["validate", SmokeRun.RecipePath, .. overrides]);
        Assert.True(code == 0, error);
        Assert.Contains("stage align: trains 19,648 of", printed); // the dense MLP (7,296) and the audio connector (12,352)
    }

    [Fact]
    public void A_dense_lora_trained_in_stage_one_becomes_the_experts_of_the_mixture_and_falls_silent()
    {
        using var temp = new TempFolder();
        var output = temp.File("lora-moe");
        var recipe = RecipeLoader.Load(SmokeRun.RecipePath,
        [
            .. smoke.Overrides(output), .. Short.Where(o => !o.StartsWith("stages.1.gates", StringComparison.Ordinal)),
            "adapters.1={name: dense, type: lora, component: llm, targets: all-linear, settings: {r: 4, lora_alpha: 8}}",
            "~stages.0.gates", "~stages.1.gates",
            "stages.0.train=[connector:image, connector:audio, adapter:dense]", "stages.1.train=[adapter:moe]",
            "stages.1.init.adapter:moe.upcycle_from=adapter:dense",
        ]);
        RecipeTrainer.Train(recipe);

        var (end, start) = EvalAroundTheSwitch(output);
        Assert.True(Math.Abs(end - start) <= 1e-5 * end, $"eval loss moved at the switch: {end} -> {start}");
        using var weights = SafetensorsFile.Open(Path.Combine(output, "experts", "final", TrainingCheckpoint.WeightsFile));
        var dense = weights.Tensors.Where(t => t.Name.Contains(".adapters.dense.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(dense);
        foreach (var info in dense)
            using (var tensor = weights.Read(info.Name))
                Assert.Equal(info.Name.Contains("lora_B", StringComparison.Ordinal), tensor.abs().sum().item<float>() == 0);
    }

    [Theory]
    [InlineData("stages.1.init.adapter:moe.upcycle_from=adapter:mag", "'adapter:mag' is not a lora adapter of this recipe (it has none)")]
    [InlineData("stages.1.init.connector:image.upcycle_from=align", "only a moe connector is upcycled; this stage's connector:image is mlp")]
    [InlineData("stages.0.connectors={video: {type: mlp}}", "the recipe declares no connectors.video")]
    public void Upcycling_that_cannot_work_is_refused_before_training(string bad, string expected)
    {
        var problems = Assert.Throws<RecipeException>(() => RecipeLoader.Load(SmokeRun.RecipePath, [.. smoke.Overrides("/tmp/never"), bad])).Problems;
        Assert.Contains(problems, p => p.Message.StartsWith(expected, StringComparison.Ordinal));
    }
}
