using MMAdapt.Finetune.Recipes;
using Xunit;

namespace MMAdapt.Tests.Finetune.Recipes;

/// <summary>The layers over the file: <c>MMADAPT_</c> environment variables, then key=value overrides.</summary>
public class RecipeOverrideTests
{
    [Fact]
    public void Overrides_set_nested_keys_list_items_and_settings()
    {
        using var files = new RecipeTestFiles();
        var recipe = RecipeTestFiles.Load(files.Example(),
        [
            "stages.0.lr=3e-4", "output_dir=/tmp/x", "model.vision.feature_layer=-1", "adapters.0.settings.experts=8",
            "adapters.1.settings.strategy=topk_softmax:k=1", "stages.1.train=[adapter:lora, connector:image]",
            "stages.2.init.connector:image.from_stage=dense", "data.eval.max_samples=null", "model.llm.chat_template='llama3'",
        ]);
        Assert.Equal(3e-4, recipe.Stages[0].Lr);
        Assert.Equal("/tmp/x", recipe.OutputDir);
        Assert.Equal(-1, recipe.Model.Vision!.FeatureLayer);
        Assert.Equal(8L, recipe.Adapters[0].Settings["experts"]!.GetValue<long>());
        Assert.Equal("""{"rank":8,"alpha":16,"experts":8}""", recipe.Adapters[0].Settings.ToJsonString());
        Assert.Equal("topk_softmax:k=1", recipe.Adapters[1].Settings["strategy"]!.GetValue<string>());
        Assert.Equal(["adapter:lora", "connector:image"], recipe.Stages[1].Train);
        Assert.Equal("dense", recipe.Stages[2].Init["connector:image"].FromStage);
        Assert.Null(recipe.Data.Eval!.MaxSamples);
        Assert.Equal("llama3", recipe.Model.Llm.ChatTemplate);

        var location = recipe.Source!.Locate("stages[0].lr");
        Assert.Equal(new RecipeLocation(null, null, "override 'stages.0.lr=3e-4'"), location);
        Assert.Equal(new RecipeLocation(Path.Combine(files.Folder, "example.recipe.yaml"), 63), recipe.Source.Locate("stages[0].epochs"));
    }

    [Fact]
    public void Tilde_removes_a_key_or_a_list_item()
    {
        using var files = new RecipeTestFiles();
        var recipe = RecipeTestFiles.Load(files.Example(), ["~stages.3", "~model.audio", "~connectors.audio", "~adapters.3", "~stages.0.train.1", "~stages.0.lr_groups"]);
        Assert.Equal(["align", "dense", "experts"], recipe.Stages.Select(s => s.Name));
        Assert.Null(recipe.Model.Audio);
        Assert.Equal(["image"], recipe.Connectors.Keys);
        Assert.Equal(["connector:image"], recipe.Stages[0].Train);
        Assert.Empty(recipe.Stages[0].LrGroups);
    }

    [Fact]
    public void A_list_item_can_be_named_by_its_name_as_well_as_its_index()
    {
        using var files = new RecipeTestFiles();
        var example = files.Example();
        var recipe = RecipeTestFiles.Load(example, ["stages.dense.lr=0.125", "stages.3.max_steps=11", "adapters.mag.targets=[o_proj]"]);
        Assert.Equal(0.125, recipe.Stages.Single(s => s.Name == "dense").Lr);
        Assert.Equal(11, recipe.Stages[3].MaxSteps);
        Assert.Equal(["o_proj"], recipe.Adapters.Single(a => a.Name == "mag").Targets!.Names!);
    }

    [Fact]
    public void Unknown_or_misplaced_override_keys_name_the_closest_key()
    {
        using var files = new RecipeTestFiles();
        var example = files.Example();
        var problems = Assert.Throws<RecipeException>(() => RecipeTestFiles.Load(example,
            ["stages.0.lrr=3e-4", "model.visoin.path=x", "stages.9.lr=1", "stages.first.lr=1", "seed.x=1", "justakey", "=3", "stages.0.lr=abc"])).Problems;
        Assert.Equal(
        [
            new RecipeProblem("stages[0].lrr", "unknown key 'lrr'; did you mean 'lr'? (from override 'stages.0.lrr=3e-4')", null, null),
            new RecipeProblem("model.visoin", "unknown key 'visoin'; did you mean 'vision'? (from override 'model.visoin.path=x')", null, null),
            new RecipeProblem("stages.9", "'9' is not an item of the list 'stages' (indices 0 to 3 or names align, dense, experts, tag) (from override 'stages.9.lr=1')", null, null),
            new RecipeProblem("stages.first", "'first' is not an item of the list 'stages' (indices 0 to 3 or names align, dense, experts, tag) (from override 'stages.first.lr=1')", null, null),
            new RecipeProblem("seed.x", "'seed' is a whole number; it has no key 'x' (from override 'seed.x=1')", null, null),
            new RecipeProblem("", "an override is key=value (stages.0.lr=3e-4) or ~key to remove one (from override 'justakey')", null, null),
            new RecipeProblem("", "an override is key=value (stages.0.lr=3e-4) or ~key to remove one (from override '=3')", null, null),
            new RecipeProblem("stages[0].lr", "expected a number, got 'abc' (from override 'stages.0.lr=abc')", null, null),
        ], problems);
    }

    [Fact]
    public void Environment_sets_keys_under_overrides_and_leaves_other_MMADAPT_variables_alone()
    {
        using var files = new RecipeTestFiles();
        var example = files.Example();
        var environment = new Dictionary<string, string>
        {
            ["MMADAPT_SEED"] = "5", ["MMADAPT_STAGES__1__MAX_STEPS"] = "7", ["MMADAPT_MODEL__VISION__PAD_TO_SQUARE"] = "false",
            ["MMADAPT_CACHE_DIR"] = "/somewhere", ["MMADAPT_FFMPEG"] = "/usr/bin/ffmpeg", ["PATH"] = "/bin",
        };
        var fromEnvironment = RecipeTestFiles.Load(example, [], environment);
        Assert.Equal((5L, 7, false), (fromEnvironment.Seed, fromEnvironment.Stages[1].MaxSteps!.Value, fromEnvironment.Model.Vision!.PadToSquare));
        Assert.Equal(new RecipeLocation(null, null, "environment variable MMADAPT_SEED"), fromEnvironment.Source!.Locate("seed"));

        var overridden = RecipeTestFiles.Load(example, ["seed=7"], environment);
        Assert.Equal((7L, 7), (overridden.Seed, overridden.Stages[1].MaxSteps!.Value));
        Assert.Equal(0L, RecipeTestFiles.Load(example).Seed);

        var typo = Assert.Single(Assert.Throws<RecipeException>(() => RecipeTestFiles.Load(example, [], new Dictionary<string, string> { ["MMADAPT_STAGES__0__LRR"] = "1" })).Problems);
        Assert.Equal(new RecipeProblem("stages[0].lrr", "unknown key 'lrr'; did you mean 'lr'? (from environment variable MMADAPT_STAGES__0__LRR)", null, null), typo);
    }

    [Fact]
    public void The_process_environment_is_read_when_none_is_given()
    {
        using var files = new RecipeTestFiles();
        var path = files.Write(RecipeTestFiles.Minimal);
        Environment.SetEnvironmentVariable("MMADAPT_NAME", "from-the-process");
        try
        {
            Assert.Equal("from-the-process", RecipeLoader.Load(path).Name);
        }
        finally
        {
            Environment.SetEnvironmentVariable("MMADAPT_NAME", null);
        }
    }

    [Fact]
    public void Relative_paths_resolve_against_the_recipe_folder_in_the_file_and_the_current_folder_in_overrides()
    {
        using var files = new RecipeTestFiles();
        var path = files.Write(RecipeTestFiles.Minimal, Path.Combine("recipes", "tiny.yaml"));
        var recipe = RecipeTestFiles.Load(path, ["data.train.path=data/other.jsonl"]);
        Assert.Equal(Path.Combine(files.Folder, "recipes", "checkpoints", "llm"), recipe.Model.Llm.Path);
        Assert.Equal(Path.Combine(files.Folder, "recipes", "runs", "tiny"), recipe.OutputDir);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "data", "other.jsonl"), recipe.Data.Train.Path);
        var home = RecipeTestFiles.Load(path, ["output_dir=~/runs/tiny"]);
        Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "runs", "tiny"), home.OutputDir);
    }

    [Fact]
    public void A_problem_with_an_overridden_value_names_the_override()
    {
        using var files = new RecipeTestFiles();
        var problems = files.Problems(RecipeTestFiles.Minimal, "stages.0.lr=-1", "stages.0.train=[]");
        Assert.Equal(
        [
            new RecipeProblem("stages[0].train", "is empty: the stage would train nothing; name components (llm) or parameter globs (from override 'stages.0.train=[]')", null, null),
            new RecipeProblem("stages[0].lr", "must be above 0, got -1 (from override 'stages.0.lr=-1')", null, null),
        ], problems);
    }
}
