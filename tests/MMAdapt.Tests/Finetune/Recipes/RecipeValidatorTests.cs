using MMAdapt.Finetune.Recipes;
using Xunit;

namespace MMAdapt.Tests.Finetune.Recipes;

/// <summary>Checks a recipe makes before training: files on disk, recipes built in code, one exception for all.</summary>
public class RecipeValidatorTests
{
    [Fact]
    public void Missing_checkpoints_and_files_are_reported_with_key_and_path()
    {
        using var files = new RecipeTestFiles();
        var recipe = RecipeTestFiles.Load(files.Example());
        var file = Path.Combine(files.Folder, "example.recipe.yaml");
        string At(string relative) => Path.Combine(files.Folder, relative);
        Assert.Equal(
        [
            new RecipeProblem("model.llm.path", $"checkpoint folder not found: {At("checkpoints/tiny-llm")}", file, 20),
            new RecipeProblem("model.vision.path", $"checkpoint folder not found: {At("checkpoints/tiny-clip")}", file, 21),
            new RecipeProblem("model.audio.path", $"checkpoint folder not found: {At("checkpoints/tiny-whisper")}", file, 22),
            new RecipeProblem("stages[3].init.adapter:soft.from_file", $"weights file not found: {At("weights/soft.safetensors")}", file, 103),
        ], RecipeValidator.Check(recipe));
        Assert.Empty(RecipeValidator.Check(recipe, checkFiles: false));

        files.CreateExampleFiles();
        Assert.Empty(RecipeValidator.Check(recipe));
        File.Delete(At("checkpoints/tiny-clip/config.json"));
        var withoutSynth = RecipeTestFiles.Load(files.Example(), ["data.synth=null"]);
        Assert.Equal(
        [
            new RecipeProblem("model.vision.path", $"no config.json in {At("checkpoints/tiny-clip")} (a Hugging Face checkpoint folder has one)", file, 21),
            new RecipeProblem("data.train.path", $"dataset file not found: {At("data/synth/train.jsonl")} (or set data.synth to generate it)", file, 50),
            new RecipeProblem("data.eval.path", $"dataset file not found: {At("data/synth/test.jsonl")} (or set data.synth to generate it)", file, 51),
        ], RecipeValidator.Check(withoutSynth));
    }

    [Fact]
    public void Recipes_built_in_code_are_checked_the_same_way_without_lines()
    {
        var recipe = new Recipe
        {
            Name = "code",
            OutputDir = "/tmp/code",
            Model = new ModelSection { Llm = new LlmSection { Path = "/nonexistent/llm" } },
            Data = new DataSection { Train = new DatasetSpec { Path = "/nonexistent/train.jsonl" } },
            Stages = [new StageSpec { Name = "s", Train = ["llm"], MaxSteps = 1 }],
        };
        Assert.Empty(RecipeValidator.Check(recipe, checkFiles: false));
        Assert.Equal(
        [
            new RecipeProblem("model.llm.path", "checkpoint folder not found: /nonexistent/llm", null, null),
            new RecipeProblem("data.train.path", "dataset file not found: /nonexistent/train.jsonl (or set data.synth to generate it)", null, null),
        ], RecipeValidator.Check(recipe));

        var broken = recipe with { Stages = [recipe.Stages[0] with { Lr = 0, Train = ["adapter:none"] }], Dtype = "fp8" };
        var error = Assert.Throws<RecipeException>(() => RecipeValidator.ThrowIfInvalid(broken, checkFiles: false));
        Assert.Equal(
            """
            recipe: 3 problems:
              dtype: 'fp8' is not one of fp32, bf16, fp16
              stages[0].train[0]: 'adapter:none' is not a component of this recipe (llm)
              stages[0].lr: must be above 0, got 0
            """.ReplaceLineEndings().TrimEnd(), error.Message);
    }

    [Fact]
    public void A_loaded_recipe_that_is_changed_in_code_is_still_reported_at_its_lines()
    {
        using var files = new RecipeTestFiles();
        var recipe = files.LoadText(RecipeTestFiles.Minimal);
        var changed = recipe with { Stages = [recipe.Stages[0] with { BatchSize = 0 }] };
        var error = Assert.Throws<RecipeException>(() => RecipeValidator.ThrowIfInvalid(changed, checkFiles: false));
        var problem = Assert.Single(error.Problems);
        Assert.Equal(new RecipeProblem("stages[0].batch_size", "must be at least 1, got 0", Path.Combine(files.Folder, "recipe.yaml"), 8), problem);
        Assert.StartsWith($"recipe {Path.Combine(files.Folder, "recipe.yaml")}: 1 problem:", error.Message);
    }

    [Fact]
    public void Stage_numbers_out_of_range_are_each_reported()
    {
        using var files = new RecipeTestFiles();
        var problems = files.Problems(RecipeTestFiles.Minimal + """

                grad_accum: 0
                warmup_steps: 20
                weight_decay: -0.1
                clip: 0
                log_every: 0
                eval_every: 5
                save_every: -1
                keep_last: 0
                aux_loss_weight: -1
                lr_groups: { "llm": 0 }
            """, "data.max_seq_len=0", "data.train.max_samples=0");
        Assert.Equal(
        [
            ("data.train.max_samples", "must be at least 1, got 0 (from override 'data.train.max_samples=0')"),
            ("data.max_seq_len", "must be at least 1, got 0 (from override 'data.max_seq_len=0')"),
            ("stages[0].warmup_steps", "20 warm-up steps is more than max_steps (10)"),
            ("stages[0].grad_accum", "must be at least 1, got 0"),
            ("stages[0].weight_decay", "must be at least 0, got -0.1"),
            ("stages[0].clip", "must be above 0, got 0"),
            ("stages[0].log_every", "must be at least 1, got 0"),
            ("stages[0].save_every", "must be at least 0, got -1"),
            ("stages[0].keep_last", "must be at least 1, got 0"),
            ("stages[0].aux_loss_weight", "must be at least 0, got -1"),
            ("stages[0].eval_every", "needs data.eval or the stage's data.eval (there is nothing to evaluate on)"),
            ("stages[0].lr_groups.llm", "must be above 0, got 0"),
        ], problems.Select(p => (p.Key, p.Message)));
    }

    [Theory]
    [InlineData("max_step", "max_steps")]
    [InlineData("lrr", "lr")]
    [InlineData("batchsize", "batch_size")]
    [InlineData("shceduler", "scheduler")]
    [InlineData("warmup", "warmup_steps")]
    [InlineData("Epochs", "epochs")]
    [InlineData("frobnicate", null)]
    [InlineData("x", null)]
    public void The_closest_name_is_found_by_edit_distance(string name, string? expected)
    {
        string[] keys = ["name", "train", "lr", "lr_groups", "epochs", "max_steps", "batch_size", "warmup_steps", "scheduler"];
        Assert.Equal(expected, ClosestName.Find(name, keys));
    }

    [Theory]
    [InlineData("connector:*", "connector:image", true)]
    [InlineData("connector:*", "adapter:moe", false)]
    [InlineData("adapter:mo?", "adapter:moe", true)]
    [InlineData("adapter:[lm]*", "adapter:moe", true)]
    [InlineData("adapter:[!lm]*", "adapter:moe", false)]
    [InlineData("llm.*.adapters.moe.*", "llm.model.layers.0.self_attn.q_proj.adapters.moe.lora_A", true)]
    [InlineData("llm.*.adapters.moe.*", "vision.encoder.adapters.moe.lora_A", false)]
    public void Globs_match_whole_names_as_fnmatch_does(string glob, string name, bool matches) =>
        Assert.Equal(matches, RecipeComponents.Matches(glob, name));
}
