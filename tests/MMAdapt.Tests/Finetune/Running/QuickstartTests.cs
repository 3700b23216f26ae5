using System.Text.Json.Nodes;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Training;
using MMAdapt.Models.Generation;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Running;

/// <summary>The shipped <c>recipes/quickstart.yaml</c> on the committed tiny base models (<c>models/tiny</c>), run once to
/// the end (about four minutes on 2 cores).</summary>
public sealed class QuickstartRun() : RecipeRun(RecipePath, "train.jsonl", "test.jsonl")
{
    public static string RecipePath => FixturePaths.Of("recipes", "quickstart.yaml");
}

/// <summary>The quickstart alone: it is the suite's longest run and its timing is part of what it shows.</summary>
[CollectionDefinition(nameof(QuickstartCollection), DisableParallelization = true)]
public sealed class QuickstartCollection : ICollectionFixture<QuickstartRun>
{
}

/// <summary>
/// End to end (minutes): frozen towers and a frozen LM that cannot see or hear, joined by trained connectors and
/// adapters, answer held-out questions about pictures and sounds; what the LM knew from text stays.
/// </summary>
[Collection(nameof(QuickstartCollection))]
[Trait("Category", "EndToEnd")]
public class QuickstartTests(QuickstartRun run)
{
    private IReadOnlyList<IReadOnlyDictionary<string, System.Text.Json.JsonElement>> Evals() =>
        MetricsLog.Read(Path.Combine(run.OutputDir, MetricsLog.FileName)).Where(l => l.ContainsKey("eval_accuracy")).ToList();

    [Fact]
    public void Accuracy_rises_from_at_most_half_before_training_to_at_least_nine_tenths()
    {
        var evals = Evals();
        var (first, last) = (evals[0], evals[^1]);
        // At step 0 and at the end of each stage (stage 2 skips its start: eval_at_start false).
        Assert.Equal([("align", 0), ("align", 300), ("experts", 450)], evals.Select(e => (e["stage"].GetString(), e["stage_step"].GetInt32())));
        double before = first["eval_accuracy"].GetDouble(), after = last["eval_accuracy"].GetDouble();
        Assert.True(before <= 0.5, $"accuracy before training {before:F3} > 0.5");
        Assert.True(after >= 0.9, $"accuracy after training {after:F3} < 0.9");
        // Both towers are read: each kind of media question is mostly answered right at the end.
        foreach (var kind in new[] { "image", "audio", "image_audio" })
            Assert.True(last[$"eval_accuracy/{kind}"].GetDouble() >= 0.8, $"{kind}: {last[$"eval_accuracy/{kind}"].GetDouble():F3}");
    }

    [Fact]
    public void Text_only_questions_are_answered_as_well_as_by_the_base_model()
    {
        var evals = Evals();
        double baseModel = evals[0]["eval_accuracy/text"].GetDouble(), tuned = evals[^1]["eval_accuracy/text"].GetDouble();
        Assert.True(tuned >= baseModel - 0.02, $"text-only accuracy fell from {baseModel:F3} to {tuned:F3}");
    }

    [Fact]
    public void The_run_writes_loss_and_routing_plots_per_stage()
    {
        foreach (var plot in new[] { "align/loss.png", "experts/loss.png", "experts/experts.png", "experts/experts_image.png", "experts/experts_audio.png" })
            Assert.True(new FileInfo(Path.Combine(run.OutputDir, plot)).Length > 1000, plot);
    }

    [Fact]
    public void Generate_names_the_colour_of_held_out_images()
    {
        // The first 20 held-out rows with a picture, asked exactly as the README shows.
        var rows = File.ReadLines(Path.Combine(run.DataFolder, "test.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(r => r["labels"]!["image"] is not null).Take(20).ToList();
        Assert.Equal(20, rows.Count);
        var (model, _, _) = TrainedModel.Load(run.OutputDir);
        using (model)
        {
            int right = 0;
            var wrong = new List<string>();
            foreach (var row in rows)
            {
                var image = Path.Combine(run.DataFolder, row["images"]![0]!.GetValue<string>());
                var answer = model.Generate("<image> What colour is the shape?", [image], [], new GenerationOptions { MaxNewTokens = 8 });
                var colour = row["labels"]!["image"]!["colour"]!.GetValue<string>();
                if (Evaluation.Normalize(answer) == colour)
                    right++;
                else
                    wrong.Add($"{Path.GetFileName(image)}: '{answer}' for {colour}");
            }
            Assert.True(right >= 18, $"{right}/20 right; wrong: {string.Join("; ", wrong)}");
        }

        // The command line gives the same answer for the first one.
        var first = Path.Combine(run.DataFolder, rows[0]["images"]![0]!.GetValue<string>());
        var (code, output, error) = MMAdapt.Tests.Cli.CliRun.Run("generate", "--model", run.OutputDir, "--image", first, "--prompt", "<image> What colour is the shape?");
        Assert.True(code == 0, error);
        Assert.Equal(rows[0]["labels"]!["image"]!["colour"]!.GetValue<string>() + ".", output.Trim());
    }
}
