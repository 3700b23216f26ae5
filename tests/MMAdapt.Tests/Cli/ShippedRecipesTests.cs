using MMAdapt.Finetune.Recipes;
using MMAdapt.Tests.Finetune.Running;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Cli;

/// <summary>Every recipe in <c>recipes/</c> passes <c>mmadapt validate</c> as shipped: the real-model ones on their
/// config-only folders (<c>models/configs</c>), with parameter counts that match the published model sizes.</summary>
public class ShippedRecipesTests
{
    public static TheoryData<string> Recipes() =>
        new(Directory.GetFiles(Path.GetDirectoryName(SmokeRun.RecipePath)!, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Recipes))]
    public void Every_shipped_recipe_validates(string name)
    {
        using var temp = new TempFolder();
        var path = FixturePaths.Of("recipes", name + ".yaml");
        var overrides = new List<string> { $"output_dir={temp.File("out")}" };
        // A generated dataset is written where the recipe says; point it into the temporary folder instead.
        if (RecipeLoader.Load(path).Data.Synth is not null)
            overrides.AddRange([$"data.train.path={temp.File("data/train.jsonl")}", $"data.eval.path={temp.File("data/test.jsonl")}"]);
        var (code, output, error) = CliRun.Run(["validate", path, .. overrides]);
        Assert.True(code == 0, $"{name}: {error}");
        Assert.Contains(output.Split('\n'), line => line.StartsWith($"recipe '{name}' is valid", StringComparison.Ordinal));
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Theory]
    // Vicuna-7B has 6,738,415,616 parameters; a rank-128 LoRA on every linear layer adds 319,815,680.
    [InlineData("llava-1.5-7b-lora", "llm", 6_738_415_616L + 319_815_680L)]
    [InlineData("llava-1.5-7b-lora", "vision", 303_507_456L)]              // CLIP ViT-L/14-336 without its projection
    [InlineData("llava-1.5-7b-lora", "connector:image", 20_979_712L)]      // 1024 -> 4096 -> 4096
    // Qwen2-1.5B has 1,543,714,304 (tied embeddings); the 8-expert mixture and the gates add the rest.
    [InlineData("qwen2-omni-moe", "llm", 1_714_054_656L)]
    [InlineData("qwen2-omni-moe", "audio", 88_154_112L)]                    // Whisper small's encoder
    public void Real_model_recipes_count_the_published_parameters(string name, string component, long parameters)
    {
        var (code, output, error) = CliRun.Run("validate", FixturePaths.Of("recipes", name + ".yaml"), "output_dir=/nonexistent/never-written");
        Assert.True(code == 0, error);
        Assert.Contains(output.Split('\n'), line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var c, var n, "parameters"]
                                                     && c == component && n == parameters.ToString("N0"));
    }
}
