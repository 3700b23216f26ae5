using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Peft;
using MMAdapt.Adapters.Training;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Lora;

/// <summary>PEFT folders: modules_to_save, and folders or configs that are refused with a message naming what is wrong.</summary>
public class PeftFolderTests
{
    [Fact]
    public void Modules_to_save_train_in_full_save_under_their_own_name_and_load_back()
    {
        using var temp = new TempFolder();
        using var model = AdapterCases.Model();
        using var ids = AdapterCases.InputIds();
        var config = AdapterCases.Lora() with { ModulesToSave = ["lm_head"] };
        LoraAttacher.Attach(model, "llm", config);
        Trainability.FreezeAll(model);
        Trainability.UnfreezeAdapters(model);
        Trainability.UnfreezeModules(model, "llm", config.ModulesToSave!);
        Assert.True(model.LmHead.Weight.requires_grad);
        Assert.False(model.Model.EmbedTokens.Weight.requires_grad);
        using (var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), lr: 1e-2, weight_decay: 0))
            AdapterCases.Step(model, ids, optimizer);
        using var trainedHead = model.LmHead.Weight.detach().clone();
        using var expected = AdapterCases.Logits(model, ids);
        PeftAdapter.Save(model, temp.Path, config);

        using (var file = SafetensorsFile.Open(temp.File(PeftAdapter.WeightsFile)))
        {
            Assert.Equal(9, file.Tensors.Count);                                    // 8 LoRA tensors + the head
            using var saved = file.Read("base_model.model.lm_head.weight");
            Assert.True(AdapterCases.Same(saved, trainedHead));
        }
        using var reloaded = AdapterCases.Model();
        PeftAdapter.Load(reloaded, temp.Path);
        Assert.True(AdapterCases.Same(reloaded.LmHead.Weight, trainedHead), "loading applies modules_to_save");
        using var logits = AdapterCases.Logits(reloaded, ids);
        Assert.True(AdapterCases.Same(logits, expected));
    }

    [Fact]
    public void The_trainable_parameter_report_counts_lora_r4_on_q_and_v()
    {
        using var model = AdapterCases.Model();
        LoraAttacher.Attach(model, "llm", AdapterCases.Lora());
        Trainability.FreezeAll(model);
        Trainability.UnfreezeAdapters(model);
        var report = Trainability.Report([("llm", model)]);

        const long lora = 2 * ((4 * 48 + 48 * 4) + (4 * 48 + 16 * 4));   // layers × (q: A + B, v: A + B) = 1280
        const long total = 44784 + lora;                                  // base (as `mmadapt inspect` counts it) + adapters
        Assert.Equal((lora, total), (report.Trainable, report.Total));
        Assert.Equal([new ComponentParameterCount("llm", lora, total)], report.Components);
        Assert.Equal(100.0 * 1280 / 46064, report.Components[0].Percent, 12);
        Assert.Equal(
            "component         trainable          total        %\n" +
            "llm                   1,280         46,064   2.7787\n" +
            "all                   1,280         46,064   2.7787", report.ToString().Replace("\r\n", "\n"));
    }

    private static string FixtureAdapterCopy(TempFolder temp) => temp.CopyOf(FixturePaths.Of("llama", "peft_lora"));

    private static void EditConfig(string folder, string from, string to)
    {
        var path = Path.Combine(folder, PeftAdapter.ConfigFile);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to));
    }

    public static TheoryData<string, string, string> BadConfigs => new()
    {
        { "\"r\": 4", "\"r\": 0", "r must be positive, got 0" },
        { "\"lora_dropout\": 0.0", "\"lora_dropout\": -0.1", "lora_dropout must be in [0, 1), got -0.1" },
        { "\"bias\": \"none\"", "\"bias\": \"all\"", "bias 'all' is not supported; supported: none" },
        { "\"init_lora_weights\": true", "\"init_lora_weights\": \"pissa\"", "init_lora_weights \"pissa\" is not supported; supported: true, false, \"gaussian\"" },
        { "\"peft_type\": \"LORA\"", "\"peft_type\": \"LOHA\"", "peft_type 'LOHA' is not supported; supported: LORA, IA3" },
        { "\"target_modules\": [\n    \"q_proj\",\n    \"v_proj\"\n  ]", "\"target_modules\": \".*q_proj\", \"layers_to_transform\": [0]",
            "layers_to_transform cannot be used when target_modules is a string ('.*q_proj')" },
        { "\"modules_to_save\": null", "\"rank_pattern\": {\"v_proj(\": 2}", "rank_pattern/alpha_pattern key 'v_proj(' is not a valid regular expression" },
    };

    [Theory, MemberData(nameof(BadConfigs))]
    public void A_bad_adapter_config_names_the_file_and_the_key(string from, string to, string expected)
    {
        using var temp = new TempFolder();
        var folder = FixtureAdapterCopy(temp);
        EditConfig(folder, from, to);
        var e = Assert.Throws<InvalidDataException>(() => PeftAdapter.ReadConfig(folder));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(Path.Combine(folder, PeftAdapter.ConfigFile) + ": ", e.Message);
    }

    [Fact]
    public void Lora_config_validation_names_r()
    {
        var e = Assert.Throws<InvalidDataException>(() => (AdapterCases.Lora() with { Rank = 0 }).Validate("recipe.yaml llm.lora"));
        Assert.Equal("recipe.yaml llm.lora: r must be positive, got 0.", e.Message);
    }

    [Fact]
    public void A_folder_without_adapter_config_names_the_file()
    {
        using var temp = new TempFolder();
        var folder = FixtureAdapterCopy(temp);
        File.Delete(Path.Combine(folder, PeftAdapter.ConfigFile));
        using var model = AdapterCases.Model();
        var e = Assert.Throws<FileNotFoundException>(() => PeftAdapter.Load(model, folder));
        Assert.Equal($"{Path.Combine(folder, PeftAdapter.ConfigFile)}: file not found.", e.Message);
    }

    [Fact]
    public void A_tensor_missing_from_the_adapter_file_is_named_and_nothing_stays_attached()
    {
        using var temp = new TempFolder();
        var folder = FixtureAdapterCopy(temp);
        const string missing = "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight";
        var path = Path.Combine(folder, PeftAdapter.WeightsFile);
        var tensors = new Dictionary<string, Tensor>();
        using (var file = SafetensorsFile.Open(path))
            foreach (var t in file.Tensors.Where(t => t.Name != missing))
                tensors[t.Name] = file.Read(t.Name);
        SafetensorsWriter.Write(path, tensors);
        AdapterCases.DisposeAll(tensors.Values);

        using var model = AdapterCases.Model();
        var e = Assert.Throws<CheckpointException>(() => PeftAdapter.Load(model, folder));
        Assert.Equal($"{missing}: missing from the adapter file, though adapter_config.json's target_modules select its module (file {path})", e.Message);
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains(".adapters."));
    }

    [Fact]
    public void Dora_on_an_embedding_is_refused_and_nothing_stays_attached()
    {
        using var model = AdapterCases.Model();
        var config = AdapterCases.Lora() with { UseDora = true, TargetModules = MMAdapt.Adapters.Targeting.ModuleSelector.Of("lm_head", "embed_tokens") };
        var e = Assert.Throws<ArgumentException>(() => LoraAttacher.Attach(model, "llm", config));
        Assert.Equal("llm: DoRA on the embedding 'model.embed_tokens' is not supported; exclude it or disable use_dora.", e.Message);
        Assert.Equal(0, model.LmHead.Adapters.Count);                          // attached first, then taken off again
    }
}
