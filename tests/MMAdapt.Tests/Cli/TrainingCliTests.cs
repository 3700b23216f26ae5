using System.Globalization;
using System.Text.Json.Nodes;
using MMAdapt.Finetune.Running;
using MMAdapt.Models.Generation;
using MMAdapt.Tests.Finetune.Running;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Cli;

/// <summary><c>ls</c>, <c>cp</c>, <c>validate</c>, <c>train</c>, <c>eval</c> and <c>generate</c> on a training output
/// folder, against the shipped smoke recipe and its uninterrupted in-process run.</summary>
[Collection(nameof(SmokeRunCollection))]
public class TrainingCliTests(SmokeRun smoke)
{
    private static readonly string RecipesFolder = Path.GetDirectoryName(SmokeRun.RecipePath)!;

    [Fact]
    public void Ls_lists_every_shipped_recipe()
    {
        var (code, output, error) = CliRun.Run("ls");
        Assert.True(code == 0, error);
        var shipped = Directory.GetFiles(RecipesFolder, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        Assert.Equal(shipped, output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        Assert.Contains("smoke", output);
    }

    [Fact]
    public void Cp_copies_the_recipe_text_and_refuses_to_overwrite()
    {
        using var temp = new TempFolder();
        var target = temp.File("mine.yaml");
        var (code, output, error) = CliRun.Run("cp", "smoke", target);
        Assert.True(code == 0, error);
        Assert.Equal($"wrote {target}", output.Trim());
        Assert.Equal(File.ReadAllText(SmokeRun.RecipePath), File.ReadAllText(target));

        File.WriteAllText(target, "edited");
        (code, _, error) = CliRun.Run("cp", "smoke", target);
        Assert.Equal(1, code);
        Assert.Equal($"error: {target} exists; not overwritten.", error.Trim());
        Assert.Equal("edited", File.ReadAllText(target));

        (code, _, _) = CliRun.Run("cp", "smoke", temp.Path);
        Assert.Equal(0, code);
        Assert.Equal(File.ReadAllText(SmokeRun.RecipePath), File.ReadAllText(Path.Combine(temp.Path, "smoke.yaml")));

        (code, _, error) = CliRun.Run("cp", "smokee", temp.File("x.yaml"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: no built-in recipe 'smokee'; built-in: ", error);
    }

    [Fact]
    public void Validate_prints_what_each_stage_trains_without_writing_anything()
    {
        using var temp = new TempFolder();
        var output = temp.File("never-written");
        var (code, printed, error) = CliRun.Run(["validate", SmokeRun.RecipePath, .. smoke.Overrides(output)]);
        Assert.True(code == 0, error);
        var lines = printed.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Equal($"recipe 'smoke' is valid; output_dir {output}", lines[0]);
        Assert.Contains("stage align: trains 19,648 of 282,912 parameters (6.9449%): connector:image 7,296, connector:audio 12,352", lines);
        Assert.Contains(lines, l => l.StartsWith("stage experts: trains 40,448 of 282,912 parameters", StringComparison.Ordinal));
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData("stages.1.train=[]", "stages[1].train: is empty: the stage would train nothing")]
    [InlineData("stages.0.lrr=1e-3", "unknown key 'lrr'; did you mean 'lr'?")]
    [InlineData("model.llm.path=/nonexistent/llm", "/nonexistent/llm")]
    public void Validate_rejects_a_bad_recipe_with_a_clear_error(string bad, string expected)
    {
        using var temp = new TempFolder();
        var (code, _, error) = CliRun.Run(["validate", SmokeRun.RecipePath, .. smoke.Overrides(temp.File("out")), bad]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Validate_names_the_file_and_line_of_malformed_yaml()
    {
        using var temp = new TempFolder();
        var recipe = temp.File("broken.yaml");
        File.WriteAllText(recipe, "name: broken\nstages:\n  - name: a\n   lr: 1\n");
        var (code, _, error) = CliRun.Run("validate", recipe);
        Assert.Equal(1, code);
        Assert.Contains($"{recipe}:4: not valid YAML", error);
    }

    [Fact]
    public void Train_refuses_an_output_folder_that_holds_a_run_unless_resuming()
    {
        var metrics = Path.Combine(smoke.OutputDir, "metrics.jsonl");
        var before = File.ReadAllText(metrics);
        var (code, _, error) = CliRun.Run(["train", SmokeRun.RecipePath, .. smoke.Overrides(smoke.OutputDir)]);
        Assert.Equal(1, code);
        Assert.Contains("already holds a run; pass --resume", error);
        Assert.Equal(before, File.ReadAllText(metrics));
    }

    [Fact]
    public void Eval_on_an_output_folder_reproduces_the_runs_last_eval()
    {
        var (code, output, error) = CliRun.Run("eval", smoke.OutputDir);
        Assert.True(code == 0, error);
        var lastEval = File.ReadAllLines(Path.Combine(smoke.OutputDir, "metrics.jsonl"))
            .Select(l => JsonNode.Parse(l)!.AsObject()).Last(o => o.ContainsKey("eval_loss"));
        var printed = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Equal($"checkpoint:    {Path.Combine(smoke.OutputDir, "experts", "final")}", printed[0]);
        double loss = double.Parse(printed[1]["eval_loss:".Length..], CultureInfo.InvariantCulture);
        Assert.Equal(lastEval["eval_loss"]!.GetValue<double>(), loss, 4);
        Assert.StartsWith("eval_accuracy: ", printed[2]);
    }

    [Fact]
    public void Generate_on_an_output_folder_answers_as_the_library_does()
    {
        var image = Directory.GetFiles(Path.Combine(smoke.DataFolder, "images"), "*.png").Order(StringComparer.Ordinal).First();
        const string prompt = "What colour is the shape?";
        var (code, output, error) = CliRun.Run("generate", "--model", smoke.OutputDir, "--prompt", prompt, "--image", image, "--max-new-tokens", "8");
        Assert.True(code == 0, error);

        var (model, _, _) = TrainedModel.Load(smoke.OutputDir);
        using (model)
        {
            var expected = model.Generate($"<image>\n{prompt}", [image], [], new GenerationOptions { MaxNewTokens = 8 });
            Assert.Equal(expected, output.TrimEnd('\n', '\r'));
        }
    }

    [Fact]
    public void Generate_refuses_media_with_a_plain_checkpoint()
    {
        var image = Directory.GetFiles(Path.Combine(smoke.DataFolder, "images"), "*.png").First();
        var (code, _, error) = CliRun.Run("generate", "--model", FixturePaths.Of("models", "smoke", "llm"), "--prompt", "hi", "--image", image);
        Assert.Equal(1, code);
        Assert.Contains("is a plain checkpoint", error);
    }
}
