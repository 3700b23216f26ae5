using System.Text.Json;
using System.Text.Json.Nodes;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Modules;
using MMAdapt.Finetune.Data;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Training;
using MMAdapt.Models.Chat;
using MMAdapt.Tests.Cli;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Running;

[Collection(nameof(ClassifyRunCollection))]
public class ClassifyRecipeTests(ClassifyRun run)
{
    private IReadOnlyList<IReadOnlyDictionary<string, JsonElement>> Metrics(string? folder = null) =>
        MetricsLog.Read(Path.Combine(folder ?? run.OutputDir, MetricsLog.FileName));

    [Fact]
    public void The_classify_stage_cuts_the_loss_fivefold_and_classifies_held_out_sounds_at_90_percent_or_better()
    {
        Assert.Equal([30], run.Result.Stages.Select(s => s.Steps));
        var losses = Metrics().Where(l => l.ContainsKey("loss")).Select(l => l["loss"].GetDouble()).ToList();
        Assert.Equal(6, losses.Count); // log_every 5 over 30 steps
        Assert.True(losses[^1] <= 0.2 * losses[0], $"training loss went {losses[0]:F4} -> {losses[^1]:F4}, less than a fivefold fall");

        var evals = Metrics().Where(l => l.ContainsKey("eval_loss")).ToList();
        Assert.Equal([0, 15, 30], evals.Select(l => l["stage_step"].GetInt32()));
        double before = evals[0]["eval_loss"].GetDouble(), after = evals[^1]["eval_loss"].GetDouble();
        Assert.True(after <= 0.25 * before, $"eval cross-entropy went {before:F4} -> {after:F4}, less than a fourfold fall");
        // Three pitch classes: chance is 1/3, and the largest class is 13 of the 33 held-out sounds (39%).
        Assert.True(evals[^1]["eval_accuracy"].GetDouble() >= 0.9, $"held-out accuracy {evals[^1]["eval_accuracy"].GetDouble():P1}");
        Assert.Contains("accuracy 100.0 % (33/33)", run.Console.ToString());
    }

    [Fact]
    public void The_final_checkpoint_holds_the_head_and_the_soft_moa_and_nothing_of_the_llm()
    {
        using var weights = SafetensorsFile.Open(Path.Combine(run.OutputDir, "classify", "final", TrainingCheckpoint.WeightsFile));
        var shapes = weights.Tensors.ToDictionary(t => t.Name, t => t.Shape.ToArray());
        Assert.Equal([3L, 48], shapes["head.classifier.weight"]);
        Assert.Equal([3L], shapes["head.classifier.bias"]);
        Assert.Equal([48L, 8], shapes["audio.layers.0.attention_site.moa.phi"]); // 4 experts × 2 slots
        Assert.All(shapes.Keys, k => Assert.True(k.StartsWith("head.", StringComparison.Ordinal) || k.Contains(".moa.", StringComparison.Ordinal)
                                                 || k.StartsWith("connector:audio.", StringComparison.Ordinal), k));
    }

    [Fact]
    public void Resuming_a_classify_stage_mid_way_reproduces_the_uninterrupted_run_bit_for_bit()
    {
        using var temp = new TempFolder();
        var output = temp.File("resumed");
        // What a run killed after saving classify/step_10 leaves behind.
        RunFolders.CopyRun(run.OutputDir, output, keep: rel => !rel.StartsWith("classify/final", StringComparison.Ordinal)
                                                               && !rel.StartsWith("classify/step_20", StringComparison.Ordinal) && !rel.EndsWith(".png", StringComparison.Ordinal));
        var result = RecipeTrainer.Train(run.Recipe(output), resume: true);

        Assert.Equal(30, result.Stages.Single().Steps);
        RunFolders.AssertSameTensors(run.OutputDir, output, "classify/step_20");
        RunFolders.AssertSameTensors(run.OutputDir, output, "classify/final");
        RunFolders.AssertSameMetrics(run.OutputDir, output);
    }

    [Fact]
    public void The_trained_model_reloads_with_its_head_and_evaluates_as_the_run_did()
    {
        var (model, recipe, checkpoint) = TrainedModel.Load(run.OutputDir);
        using (model)
        {
            Assert.Equal(Path.Combine(run.OutputDir, "classify", "final"), checkpoint);
            Assert.Equal(("audio", 3, HeadPooling.Mean), (model.Head!.Component, model.Head.Labels, model.Head.Pooling));
            var examples = ConversationExamples.Load(model, recipe.Data.Eval!.Path);
            var result = Evaluation.Run(model, examples, recipe.Stages[^1].BatchSize, StageObjective.Classify);
            var last = Metrics().Last(l => l.ContainsKey("eval_loss"));
            Assert.Equal(last["eval_loss"].GetDouble(), result.Loss!.Value, 5);
            Assert.Equal(last["eval_accuracy"].GetDouble(), result.Accuracy!.Value, 9);
            Assert.Equal(33, result.Asked);
        }
    }

    [Fact]
    public void The_cli_validates_the_shipped_recipe_and_evaluates_the_run_on_its_labels()
    {
        var (code, output, error) = CliRun.Run(["validate", ClassifyRun.RecipePath, .. run.Overrides(run.OutputDir)]);
        Assert.True(code == 0, error);
        Assert.Contains("stage classify: trains 27,287 of 214,263 parameters (12.7353%): audio 27,140, head 147", output);

        (code, output, error) = CliRun.Run("eval", run.OutputDir);
        Assert.True(code == 0, error);
        var last = Metrics().Last(l => l.ContainsKey("eval_accuracy"))["eval_accuracy"].GetDouble();
        Assert.Contains($"eval_accuracy: {last:F4} ({(int)Math.Round(last * 33)}/33)", output);
    }

    [Theory]
    [InlineData("out_of_range", 3, "'label' is 7; expected an integer in [0, 3)")]
    [InlineData("missing", 2, "no assistant turn (roles: user); expected at least one assistant turn to train on, or a 'label' to classify")]
    [InlineData("answered", 2, "no 'label'; a classify stage needs an integer class label in [0, 3) on every row")]
    [InlineData("negative", 4, "'label' is -1; expected an integer in [0, 3)")]
    [InlineData("fraction", 5, "'label' is 1.5, not an integer; expected an integer class label")]
    [InlineData("text", 1, "'label' is a string (\"2\"); expected an integer class label")]
    public void A_bad_label_fails_before_training_naming_the_file_and_line(string fault, int line, string expected)
    {
        var rows = File.ReadAllLines(Path.Combine(run.DataFolder, "sounds_train.jsonl"));
        var row = JsonNode.Parse(rows[line - 1])!.AsObject();
        JsonNode? label = fault switch
        {
            "out_of_range" => 7,
            "negative" => -1,
            "fraction" => 1.5,
            "text" => "2",
            _ => null,
        };
        if (fault == "answered")
            row["messages"]!.AsArray().Add(new JsonObject { ["role"] = "assistant", ["content"] = "high." });
        if (label is null)
            row.Remove("label");
        else
            row["label"] = label;
        rows[line - 1] = row.ToJsonString();
        // Beside the original, so the audio paths still resolve.
        var file = Path.Combine(run.DataFolder, $"bad_{fault}.jsonl");
        File.WriteAllLines(file, rows);
        using var temp = new TempFolder();

        var error = Assert.Throws<DatasetException>(() => RecipeTrainer.Train(run.Recipe(temp.File("out"), train: file)));
        Assert.Equal($"{file}, line {line}: ", error.Message[..(file.Length + $", line {line}: ".Length)]);
        Assert.Contains(expected, error.Message);
        Assert.Equal(line, error.Row);
        Assert.False(Directory.Exists(temp.File("out/classify")), "nothing may train before the labels are checked");
    }

    [Fact]
    public void Rows_of_a_placeholder_alone_load_and_encode_with_their_label_and_no_answer_tokens()
    {
        using var model = RecipeModelBuilder.Build(run.Recipe(run.OutputDir));
        var examples = ConversationExamples.Load(model, Path.Combine(run.DataFolder, "sounds_test.jsonl"));
        var first = JsonNode.Parse(File.ReadLines(Path.Combine(run.DataFolder, "sounds_test.jsonl")).First())!;
        Assert.Equal([ChatMessage.UserRole], examples.Samples[0].Messages.Select(m => m.Role));
        var encoded = examples.Encode(0)!;
        Assert.Equal(first["label"]!.GetValue<int>(), encoded.ClassLabel);
        Assert.Equal(Modality.Audio, encoded.Slots.Single().Media.Modality);
        Assert.All(encoded.Labels, l => Assert.Equal(EncodedSample.IgnoreIndex, l));
        Assert.Null(examples.Question(0)); // nothing to answer by exact match
    }

    [Fact]
    public void Every_classify_stage_must_share_one_head()
    {
        var recipe = run.Recipe(run.OutputDir);
        var stage = recipe.Stages[0];
        var twoHeads = recipe with { Stages = [stage, stage with { Name = "again", Head = stage.Head! with { Labels = 4 } }] };
        var problem = Assert.Single(RecipeValidator.Check(twoHeads, checkFiles: false));
        Assert.Equal("stages[1].head", problem.Key);
        Assert.Contains("differs from the head of stages[0] (component audio, labels 3, pooling mean)", problem.Message);
        Assert.Empty(RecipeValidator.Check(recipe with { Stages = [stage, stage with { Name = "again" }] }, checkFiles: false));
    }
}
