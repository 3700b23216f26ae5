using MMAdapt.Finetune.Training;
using Xunit;

namespace MMAdapt.Tests.Tutorials;

/// <summary>The twins run one after another (each builds and trains; two at once would race on the build).</summary>
[CollectionDefinition(nameof(TutorialRunCollection))]
public sealed class TutorialRunCollection
{
}

/// <summary>
/// End to end (about two minutes each): every tutorial's twin runs to the end from <c>tutorials/</c>, and what it
/// trained learned what the tutorial says it does, checked on the files it wrote and the lines it printed.
/// </summary>
[Collection(nameof(TutorialRunCollection))]
[Trait("Category", "EndToEnd")]
public sealed class TutorialRunTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(12);

    /// <summary>The tutorials this class runs; a new tutorial must get a test here.</summary>
    private static readonly string[] Covered = ["01-quickstart", "02-adapters-and-routers", "03-recipes", "04-audio", "05-own-checkpoints"];

    [Fact]
    public void Every_twin_is_run_by_a_test_here()
    {
        var twins = Directory.GetFiles(TutorialTwin.Folder, "*.cs").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal);
        Assert.Equal(Covered.Order(StringComparer.Ordinal), twins);
    }

    [Fact]
    public void Quickstart_learns_to_see_and_hear_and_shows_its_routing()
    {
        var output = TutorialTwin.Run("01-quickstart", Timeout);
        var metrics = TrainingMetrics.Load(Path.Combine(TutorialTwin.Folder, "runs", "01-quickstart"));
        Assert.Equal(["align", "experts"], metrics.Stages);
        var accuracy = metrics.Series("eval_accuracy");
        double before = accuracy[0].Value, after = accuracy[^1].Value;
        Assert.True(before <= 0.4, $"accuracy before training {before:F3} > 0.4");
        Assert.True(after >= before + 0.25, $"accuracy rose only from {before:F3} to {after:F3}");
        Assert.True(metrics.Last("eval_accuracy/text") >= metrics.First("eval_accuracy/text"), "text-only accuracy fell");
        Assert.True(metrics.Last("loss", "experts") < 0.75 * metrics.First("loss", "align")!.Value, "the training loss did not fall by a quarter");
        foreach (var plot in new[] { "loss.png", "experts_image.png" })
            Assert.True(new FileInfo(Path.Combine(TutorialTwin.Folder, "runs", "01-quickstart", plot)).Length > 1000, plot);
        // The questions asked before and after training (answer and truth side by side): right more often after.
        static int Right(string part) => System.Text.RegularExpressions.Regex.Matches(part, @"\s(\w+)\.\s+\1\.\s*$", System.Text.RegularExpressions.RegexOptions.Multiline).Count;
        var split = output.IndexOf("[experts] eval at step", StringComparison.Ordinal);
        Assert.True(split > 0, "no eval line of stage experts");
        int rightBefore = Right(output[..split]), rightAfter = Right(output[split..]);
        Assert.True(rightAfter >= 5 && rightAfter >= rightBefore + 3, $"questions answered right: {rightBefore} of 8 before training, {rightAfter} after");
        // The displayed tables: the summary, the parameter counts with the mixture on its own row, routing by modality.
        Assert.Contains("llm              LlamaForCausalLM", output);
        Assert.Matches(@"llm\s+moe\s+468,792\s+468,792", output);
        // Modality groups: text tokens only ever reach experts 0-1, image tokens 2-3, audio tokens 4-5.
        Assert.Matches(@"layers\.3\.mlp\.down_proj \[text\]\s+[\d,]+\s+2\.00\s+\d+\.\d%\s+\d+\.\d%\s+0\.0%\s+0\.0%\s+0\.0%\s+0\.0%", output);
        Assert.Matches(@"layers\.3\.mlp\.down_proj \[audio\]\s+[\d,]+\s+2\.00\s+0\.0%\s+0\.0%\s+0\.0%\s+0\.0%\s+\d+\.\d%\s+\d+\.\d%", output);
    }

    [Fact]
    public void Recipes_round_trip_through_yaml_and_the_run_learns()
    {
        var output = TutorialTwin.Run("03-recipes", Timeout);
        Assert.Contains("loaded == built: True; override: tune lr 0.002 -> 0.003", output);
        Assert.Contains("stages[1].max_step: unknown key 'max_step'; did you mean 'max_steps'?", output);
        var run = Path.Combine(TutorialTwin.Folder, "runs", "03-recipes", "from-yaml");
        var metrics = TrainingMetrics.Load(run);
        Assert.Equal(["align", "tune"], metrics.Stages);
        var accuracy = metrics.Series("eval_accuracy");
        Assert.True(accuracy[^1].Value >= accuracy[0].Value + 0.2, $"accuracy rose only from {accuracy[0].Value:F3} to {accuracy[^1].Value:F3}");
        foreach (var file in new[] { "recipe.resolved.yaml", "loss-all.png", "accuracy.png", "tune/final/trained.safetensors" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        Assert.Matches(@"tune/final: \w+", output);
    }

    [Fact]
    public void Audio_shows_both_front_ends_and_a_soft_moa_learns_to_classify_sounds()
    {
        var output = TutorialTwin.Run("04-audio", Timeout);
        // Whisper: 80 mel bins x 100 frames (1 s at 10 ms hops) -> 50 encoder positions; AST: 100 frames x 32 bins.
        Assert.Contains("input_features [1, 80, 100]", output);
        Assert.Contains("last_hidden_state [1, 50, 64]", output);
        Assert.Contains("input_values [1, 100, 32]", output);
        Assert.Matches(@"trainable: 54,345 of 1,041,353", output);
        var metrics = TrainingMetrics.Load(Path.Combine(TutorialTwin.Folder, "runs", "04-audio"));
        var accuracy = metrics.Series("eval_accuracy");
        Assert.True(accuracy[0].Value <= 0.5, $"accuracy before training {accuracy[0].Value:F3}");
        Assert.True(accuracy[^1].Value >= 0.9, $"accuracy after training {accuracy[^1].Value:F3}");
        var loss = metrics.Series("loss");
        Assert.True(loss[^1].Value < 0.1 * loss[0].Value, $"loss fell only from {loss[0].Value:F4} to {loss[^1].Value:F4}");
        // The head alone (same steps) fits the same labels less tightly than with the Soft-MoA in the tower.
        var headOnly = TrainingMetrics.Load(Path.Combine(TutorialTwin.Folder, "runs", "04-audio-head"));
        Assert.True(metrics.Last("eval_loss") < headOnly.Last("eval_loss"), "the Soft-MoA did not lower the eval loss below the head alone");
    }

    [Fact]
    public void Own_checkpoints_are_inspected_planned_from_configs_and_swapped_in_by_override()
    {
        var output = TutorialTwin.Run("05-own-checkpoints", Timeout);
        Assert.Matches(@"parameters\s+781,312", output);
        // LLaVA-1.5 from config files alone: Vicuna-7B (6,738,415,616) + LoRA r128 on every linear layer (319,815,680),
        // CLIP ViT-L/14-336 and the mlp2x_gelu projector.
        Assert.Contains("llm 7,058,231,296, vision 303,507,456, connector:image 20,979,712", output);
        Assert.Matches(@"pretrain\s+connector:image 20,979,712\s+20,979,712\s+7,382,718,464", output);
        Assert.Contains("has no tokenizer files (config-only); training needs them", output);
        // The SigLIP tower swapped in: its width (48) reaches the connector, its 32x32 images give 16 tokens.
        Assert.Matches(@"vision\s+VisionTower\s+3 layers, hidden 48, 16 tokens per image", output);
        Assert.Matches(@"connector:image\s+DownsampleConnector\s+48 -> 128", output);
        Assert.Matches(@"untrained answer: \w+", output);
    }

    [Fact]
    public void Adapters_and_routers_are_compared_on_the_same_aligned_connectors()
    {
        var output = TutorialTwin.Run("02-adapters-and-routers", Timeout);
        // Trainable parameters follow from the shapes: LoRA r8 on 3 MLP projections x 4 layers; 4 such experts plus routers;
        // Soft-MoA beside attention and MLP in both towers.
        Assert.Contains("trainable: 45,024 of 1,223,584", output);
        Assert.Contains("trainable: 189,648 of 1,368,208", output);
        Assert.Contains("trainable: 108,300 of 1,286,860", output);
        // Expert choice: every expert takes the same number of tokens, by construction.
        Assert.Matches(@"layers\.3\.mlp\.down_proj\s+[\d,]+\s+2\.00\s+25\.0%\s+25\.0%\s+25\.0%\s+25\.0%", output);
        double Accuracy(string adapter)
        {
            var row = System.Text.RegularExpressions.Regex.Match(output, $@"^{System.Text.RegularExpressions.Regex.Escape(adapter)}\s.*\s(\d+\.\d)%\s*$", System.Text.RegularExpressions.RegexOptions.Multiline);
            Assert.True(row.Success, $"no row '{adapter}' in the comparison table");
            return double.Parse(row.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        double baseline = Accuracy("none (aligned connectors)");
        foreach (var adapter in new[] { "lora", "topk", "choice" })
            Assert.True(Accuracy(adapter) > baseline, $"{adapter}: {Accuracy(adapter)}% is not above the aligned connectors' {baseline}%");
        Assert.True(Accuracy("moa") >= baseline, $"moa: {Accuracy("moa")}% below {baseline}%");
        foreach (var adapter in new[] { "lora", "topk", "choice" })
        {
            var loss = TrainingMetrics.Load(Path.Combine(TutorialTwin.Folder, "runs", "02-adapters-and-routers", adapter)).Series("loss");
            Assert.True(loss[^1].Value < loss[0].Value, $"{adapter}: loss did not fall ({loss[0].Value:F4} -> {loss[^1].Value:F4})");
        }
    }
}
