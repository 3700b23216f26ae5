using System.Text.Json.Nodes;
using MMAdapt.Finetune.Recipes;
using Xunit;

using MMAdapt.Finetune.Training;
using MMAdapt.Finetune.Multimodal;
namespace MMAdapt.Tests.Finetune.Recipes;

/// <summary>Loading recipes: the example with every key, defaults, YAML/JSON, the resolved file and its round trip.</summary>
public class RecipeLoaderTests
{
    [Fact]
    public void Example_loads_every_key_with_paths_resolved_against_its_folder()
    {
        using var files = new RecipeTestFiles();
        var recipe = RecipeTestFiles.Load(files.Example());
        string At(string relative) => Path.Combine(files.Folder, relative);

        Assert.Equal(("example", At("runs/example"), 0L, "auto", "fp32"), (recipe.Name, recipe.OutputDir, recipe.Seed, recipe.Device, recipe.Dtype));
        Assert.Equal(new LlmSection { Path = At("checkpoints/tiny-llm"), ChatTemplate = "chatml" }, recipe.Model.Llm);
        Assert.Equal(new VisionSection { Path = At("checkpoints/tiny-clip"), FeatureLayer = -2, KeepClassToken = false, PadToSquare = true }, recipe.Model.Vision);
        Assert.Equal(new AudioSection { Path = At("checkpoints/tiny-whisper"), Trim = true }, recipe.Model.Audio);

        Assert.Equal(["image", "audio"], recipe.Connectors.Keys);
        Assert.Equal("""{"type":"mlp","depth":2}""", recipe.Connectors["image"].ToJsonString());
        Assert.Equal("""{"type":"downsample","mode":"stack","factor":2}""", recipe.Connectors["audio"].ToJsonString());

        Assert.Equal(["lora", "moe", "mag", "soft"], recipe.Adapters.Select(a => a.Name));
        Assert.Equal(["lora", "lora_mixture", "mag", "soft_moa"], recipe.Adapters.Select(a => a.Type));
        Assert.Equal(["llm", "llm", "llm", "audio"], recipe.Adapters.Select(a => a.Component));
        Assert.True(recipe.Adapters[0].Targets!.AllLinear);
        Assert.Equal(["q_proj", "v_proj"], recipe.Adapters[1].Targets!.Names!);
        Assert.Equal(@".*\.v_proj", recipe.Adapters[2].Targets!.Pattern);
        Assert.Null(recipe.Adapters[3].Targets);
        Assert.Equal([0, 1], recipe.Adapters[1].Layers!);
        Assert.Null(recipe.Adapters[0].Layers);
        var moe = recipe.Adapters[1].Settings;
        Assert.Equal(4L, moe["experts"]!.GetValue<long>());
        Assert.Equal("softmax_topk:k=2,renorm=true", moe["strategy"]!.GetValue<string>());
        Assert.Equal("load_balance:coef=0.01", moe["aux_losses"]![0]!.GetValue<string>());
        Assert.True(recipe.Adapters[2].Settings["residual"]!.GetValue<bool>());

        Assert.Equal(new DatasetSpec { Path = At("data/synth/train.jsonl"), Format = "auto" }, recipe.Data.Train);
        Assert.Equal(new DatasetSpec { Path = At("data/synth/test.jsonl"), Format = "auto", MaxSamples = 64 }, recipe.Data.Eval);
        Assert.Equal(new SynthSpec { Seed = 3, Count = 400, TestCount = 64 }, recipe.Data.Synth);
        Assert.Equal((256, LossTokens.Assistant, TruncationPolicy.Drop), (recipe.Data.MaxSeqLen, recipe.Data.LossOn, recipe.Data.OnTruncate));

        Assert.Equal(["align", "dense", "experts", "tag"], recipe.Stages.Select(s => s.Name));
        var align = recipe.Stages[0];
        Assert.Equal(new StageSpec
        {
            Name = "align", Objective = StageObjective.LanguageModel, Train = ["connector:image", "connector:audio"], Lr = 1e-3,
            LrGroups = new Dictionary<string, double> { ["connector:audio"] = 5e-4 }, Epochs = 1, MaxSteps = null, BatchSize = 4,
            GradAccum = 2, WarmupSteps = 10, Scheduler = ScheduleKind.Cosine, WeightDecay = 0, Clip = 1.0, LogEvery = 5,
            EvalEvery = 50, SaveEvery = 50, KeepLast = 2, AuxLossWeight = 1.0, Gates = new Dictionary<string, bool> { ["mag"] = false },
        }, align);
        Assert.Equal((ScheduleKind.Linear, (double?)null, 100), (recipe.Stages[1].Scheduler, recipe.Stages[1].Clip, recipe.Stages[1].MaxSteps));
        Assert.Equal(["adapter:lora", "llm.*.adapters.lora.*"], recipe.Stages[1].Train);
        var experts = recipe.Stages[2];
        Assert.Equal(["adapter:moe", "adapter:mag", "connector:*"], experts.Train);
        Assert.Equal((2, 300, 0.01, 0.5), (experts.Epochs!.Value, experts.MaxSteps!.Value, experts.WeightDecay, experts.AuxLossWeight));
        Assert.Equal(["connector:*", "llm.*.router.*"], experts.LrGroups.Keys);
        Assert.Equal(new StageInit { FromStage = "align" }, experts.Init["connector:image"]);
        Assert.Equal(new StageInit { UpcycleFrom = "adapter:lora", Settings = new JsonObject { ["noise"] = 0.01 } }, experts.Init["adapter:moe"]);
        var tag = recipe.Stages[3];
        Assert.Equal(new ClassifyHead { Component = "audio", Labels = 10, Pooling = HeadPooling.Cls }, tag.Head);
        Assert.Equal((StageObjective.Classify, ScheduleKind.Constant), (tag.Objective, tag.Scheduler));
        Assert.Equal(At("weights/soft.safetensors"), tag.Init["adapter:soft"].FromFile);
        Assert.Equal("audio.", tag.Init["adapter:soft"].Settings["prefix"]!.GetValue<string>());
    }

    [Fact]
    public void Keys_left_out_take_the_documented_defaults()
    {
        using var files = new RecipeTestFiles();
        var recipe = files.LoadText(RecipeTestFiles.Minimal);
        Assert.Equal((0L, "auto", "fp32"), (recipe.Seed, recipe.Device, recipe.Dtype));
        Assert.Null(recipe.Model.Llm.ChatTemplate);
        Assert.Null(recipe.Model.Vision);
        Assert.Null(recipe.Model.Audio);
        Assert.Empty(recipe.Connectors);
        Assert.Empty(recipe.Adapters);
        Assert.Equal(new DataSection { Train = new DatasetSpec { Path = Path.Combine(files.Folder, "data/train.jsonl") } }, recipe.Data);
        Assert.Equal((512, "auto", LossTokens.Assistant, TruncationPolicy.Drop), (recipe.Data.MaxSeqLen, recipe.Data.Train.Format, recipe.Data.LossOn, recipe.Data.OnTruncate));
        var stage = Assert.Single(recipe.Stages);
        Assert.Equal(new StageSpec { Name = "only", Train = ["llm"], MaxSteps = 10 }, stage);
        Assert.Equal((StageObjective.LanguageModel, 1e-4, (int?)null, 1, 1, 0), (stage.Objective, stage.Lr, stage.Epochs, stage.BatchSize, stage.GradAccum, stage.WarmupSteps));
        Assert.Equal((ScheduleKind.Cosine, 0.0, (double?)1.0, 10, 0, 0, 2, 1.0), (stage.Scheduler, stage.WeightDecay, stage.Clip, stage.LogEvery, stage.EvalEvery, stage.SaveEvery, stage.KeepLast, stage.AuxLossWeight));
        Assert.Empty(stage.LrGroups);
        Assert.Empty(stage.Gates);
        Assert.Empty(stage.Init);
        Assert.Null(stage.Head);

        var vision = files.LoadText(RecipeTestFiles.Minimal, "model.vision.path=v");
        Assert.Equal(new VisionSection { Path = Path.Combine(Environment.CurrentDirectory, "v"), FeatureLayer = -2 }, vision.Model.Vision);
    }

    [Fact]
    public void ToYaml_writes_every_key_and_loads_back_equal_from_another_folder()
    {
        using var files = new RecipeTestFiles();
        using var elsewhere = new RecipeTestFiles();
        var recipe = RecipeTestFiles.Load(files.Example());
        var yaml = RecipeLoader.ToYaml(recipe);

        var reloaded = RecipeTestFiles.Load(elsewhere.Write(yaml, "resolved.yaml"));
        Assert.Equal(recipe, reloaded);
        Assert.Equal(yaml, RecipeLoader.ToYaml(reloaded));
        Assert.Contains("max_steps: null", yaml);
        Assert.Contains("train: ['connector:image', 'connector:audio']", yaml);
        Assert.Contains("connector:*: 2e-05", yaml);
        Assert.Contains($"output_dir: {Path.Combine(files.Folder, "runs/example")}", yaml);
        Assert.Contains("strategy: softmax_topk:k=2,renorm=true", yaml);
        Assert.Contains("prefix: audio.", yaml);
        Assert.StartsWith("# Resolved recipe 'example'", yaml);

        var fromCode = new Recipe { Name = "code", OutputDir = "runs/code", Data = new DataSection { Train = new DatasetSpec { Path = "d.jsonl" } } };
        Assert.Contains($"output_dir: {Path.Combine(Environment.CurrentDirectory, "runs/code")}", RecipeLoader.ToYaml(fromCode));

        var minimal = files.LoadText(RecipeTestFiles.Minimal);
        var minimalYaml = RecipeLoader.ToYaml(minimal);
        foreach (var key in new[] { "seed: 0", "device: auto", "chat_template: null", "vision: null", "connectors: {}", "adapters: []",
                     "max_seq_len: 512", "loss_on: assistant", "lr: 0.0001", "clip: 1.0", "scheduler: cosine", "init: {}" })
            Assert.Contains(key, minimalYaml);
        Assert.Equal(minimal, RecipeTestFiles.Load(elsewhere.Write(minimalYaml, "minimal.yaml")));
    }

    [Fact]
    public void Strings_that_look_like_other_types_are_quoted_and_survive_the_round_trip()
    {
        using var files = new RecipeTestFiles();
        var recipe = files.LoadText(RecipeTestFiles.Minimal.Replace("name: tiny", "name: \"true\"") + """

            connectors: {}
            adapters:
              - { name: a, type: lora, settings: { n: "8", m: 8, x: 2.0, s: "null", e: "", y: "yes", list: [1, "1", 1.5] } }
            """);
        var settings = recipe.Adapters[0].Settings;
        Assert.Equal("""{"n":"8","m":8,"x":2,"s":"null","e":"","y":"yes","list":[1,"1",1.5]}""", settings.ToJsonString());
        Assert.Equal("true", recipe.Name);
        var again = RecipeTestFiles.Load(files.Write(RecipeLoader.ToYaml(recipe), "again.yaml"));
        Assert.Equal(recipe, again);
        Assert.True(again.Adapters[0].Settings["x"]!.AsValue().TryGetValue<double>(out _), "2.0 stays a float");
    }

    [Fact]
    public void Anchors_aliases_tags_and_block_scalars_read_as_YAML_defines_them()
    {
        using var files = new RecipeTestFiles();
        var recipe = files.LoadText(RecipeTestFiles.Minimal + """

            adapters:
              - { name: a, type: lora, settings: &shared { rank: 8, note: !!str 16 } }
              - { name: b, type: lora, settings: *shared }
            """, "adapters.1.settings.rank=4", "name=|-\n  multi");
        Assert.Equal("""{"rank":8,"note":"16"}""", recipe.Adapters[0].Settings.ToJsonString());
        Assert.Equal("""{"rank":4,"note":"16"}""", recipe.Adapters[1].Settings.ToJsonString());
        Assert.Equal("multi", recipe.Name);
    }

    [Fact]
    public void Json_recipes_load_the_same_as_yaml()
    {
        using var files = new RecipeTestFiles();
        var yaml = RecipeTestFiles.Load(files.Example());
        var json = files.Write(System.Text.Json.JsonSerializer.Serialize(ToJson(files.Example()), new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), "example.json");
        Assert.Equal(yaml, RecipeTestFiles.Load(json));

        var broken = files.Write("{\n  \"name\": \"x\",\n  \"seed\": 1,,\n}", "broken.json");
        var problem = Assert.Single(Assert.Throws<RecipeException>(() => RecipeTestFiles.Load(broken)).Problems);
        Assert.Equal((broken, 3), (problem.File, problem.Line));
        Assert.StartsWith("not valid JSON", problem.Message);

        var typo = files.Write("{\n  \"name\": \"x\",\n  \"sed\": 1\n}", "typo.json");
        var unknown = RecipeTestFiles.Single(Assert.Throws<RecipeException>(() => RecipeTestFiles.Load(typo)).Problems, "sed");
        Assert.Equal((typo, 3, "unknown key 'sed'; did you mean 'seed'?"), (unknown.File, unknown.Line, unknown.Message));
    }

    [Fact]
    public void WriteResolved_puts_the_recipe_in_its_output_folder_and_LoadResolved_reads_it_back()
    {
        using var files = new RecipeTestFiles();
        var recipe = RecipeTestFiles.Load(files.Example(), ["output_dir=" + Path.Combine(files.Folder, "out")]);
        RecipeLoader.WriteResolved(recipe);
        Assert.Equal([RecipeLoader.ResolvedFileName], Directory.GetFiles(Path.Combine(files.Folder, "out")).Select(Path.GetFileName));
        var resolved = RecipeLoader.LoadResolved(Path.Combine(files.Folder, "out"));
        Assert.Equal(recipe, resolved);
        Assert.Equal(Path.Combine(files.Folder, "out", RecipeLoader.ResolvedFileName), resolved.Source!.File);
    }

    [Fact]
    public void Records_compare_by_value_lists_and_settings_included()
    {
        var a = new AdapterSpec { Name = "m", Type = "lora", Layers = [0, 1], Settings = new JsonObject { ["rank"] = 8 } };
        var b = new AdapterSpec { Name = "m", Type = "lora", Layers = new List<int> { 0, 1 }, Settings = JsonNode.Parse("""{"rank":8}""")!.AsObject() };
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { Layers = [1, 0] });
        Assert.NotEqual(a, b with { Settings = new JsonObject { ["rank"] = 4 } });
        var layers = new List<int> { 0 };
        var c = new AdapterSpec { Layers = layers };
        layers.Add(5);
        Assert.Equal([0], c.Layers!);
    }

    // The YAML tree as plain JSON, through the loader's own reader: a JSON file with the same content as the YAML.
    private static JsonNode? ToJson(string yamlPath)
    {
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(yamlPath)));
        return Convert(yaml.Documents[0].RootNode);

        static JsonNode? Convert(YamlDotNet.RepresentationModel.YamlNode node) => node switch
        {
            YamlDotNet.RepresentationModel.YamlMappingNode map => new JsonObject(map.Children.Select(e =>
                KeyValuePair.Create(((YamlDotNet.RepresentationModel.YamlScalarNode)e.Key).Value!, Convert(e.Value)))),
            YamlDotNet.RepresentationModel.YamlSequenceNode list => new JsonArray(list.Children.Select(Convert).ToArray()),
            YamlDotNet.RepresentationModel.YamlScalarNode scalar => Scalar(scalar),
            _ => null,
        };

        static JsonNode? Scalar(YamlDotNet.RepresentationModel.YamlScalarNode scalar)
        {
            var text = scalar.Value ?? "";
            if (scalar.Style != YamlDotNet.Core.ScalarStyle.Plain)
                return JsonValue.Create(text);
            if (text is "null" or "")
                return null;
            if (text is "true" or "false")
                return JsonValue.Create(text == "true");
            if (long.TryParse(text, out var whole))
                return JsonValue.Create(whole);
            return double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(text);
        }
    }
}
