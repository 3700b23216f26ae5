using System.Text.Json.Nodes;
using MMAdapt.Adapters;
using MMAdapt.Adapters.Bottleneck;
using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Connectors;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Encoders.Vision;
using MMAdapt.Finetune.Export;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Models.Chat;
using MMAdapt.Models.Llama;
using MMAdapt.Models.Tokenization;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Finetune.Export;

/// <summary>Export to Hugging Face's LLaVA layout, checked by loading the folder back through MMAdapt's LLaVA path.</summary>
public class LlavaExportTests
{
    private const int SmokeVocabulary = 460;   // models/smoke/llm: vocab_size and len(tokenizer)
    private static string Smoke(string part) => FixturePaths.Of("models", "smoke", part);

    /// <summary>The smoke LLM and CLIP tower joined by an image connector, with LoRAs (nonzero B, so they change the
    /// output) on the LLM's q/v projections, the tower's fc1 and the connector's linear_1; optionally the audio side.</summary>
    internal static MultimodalModel BuildTrained(ConnectorOptions? imageConnector = null, bool withAudio = false)
    {
        var llm = LlamaForCausalLM.FromPretrained(Smoke("llm"));
        var tokenizer = TextTokenizer.FromFolder(Smoke("llm"));
        var vision = VisionPart.Load(Smoke("vision"), VisionFeatureSelection.Llava);
        var generator = new Generator(11);
        var connector = ConnectorFactory.Create(imageConnector ?? new MlpConnectorOptions { Depth = 2 }, 48, 64, generator: generator);
        var audio = withAudio ? AudioPart.Load(Smoke("audio"), trim: false) : null;
        var audioConnector = audio is null ? null : ConnectorFactory.Create(new MlpConnectorOptions { Depth = 2 }, audio.HiddenSize, 64, generator: generator);
        var template = ChatTemplate.ByName("chatml");
        var model = new MultimodalModel(llm, tokenizer, template, vision, audio, connector, audioConnector, new MultimodalPromptEncoder(tokenizer, template, 256));
        LoraAttacher.Attach(llm, "llm", new LoraConfig { TargetModules = ModuleSelector.Regex(@".*\.(q_proj|v_proj)"), Rank = 4, Alpha = 8 }, seed: 1);
        LoraAttacher.Attach(vision.Tower, "vision", new LoraConfig { TargetModules = ModuleSelector.Regex(@".*\.fc1"), Rank = 2, Alpha = 4 }, seed: 2);
        LoraAttacher.Attach(connector, "connector:image", new LoraConfig { TargetModules = ModuleSelector.Of("linear_1"), Rank = 2, Alpha = 2 }, seed: 3);
        using var _ = no_grad();
        var random = new Generator(5);
        foreach (var (_, root) in model.Components)
            foreach (var (name, parameter) in root.named_parameters())
                if (name.Contains("lora_B", StringComparison.Ordinal))
                    parameter.uniform_(-0.1, 0.1, random);
        return model;
    }

    /// <summary>Loads an exported folder as MMAdapt loads LLaVA folders: the LLM and tower from their prefixes, the
    /// projector from <c>multi_modal_projector.</c>, features and template as the config and tokenizer say.</summary>
    internal static MultimodalModel Reload(string folder)
    {
        var configPath = Path.Combine(folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        var llm = LlamaForCausalLM.FromCheckpoint(LlamaConfig.LoadText(configPath), folder);
        var tokenizer = TextTokenizer.FromFolder(folder);
        var selection = new VisionFeatureSelection((int)config["vision_feature_layer"]!, (string)config["vision_feature_select_strategy"]! == "full");
        var vision = VisionPart.Load(folder, selection);
        var connector = new MlpConnector(vision.Tower.HiddenSize, llm.HiddenSize, 2);
        ConnectorInit.LoadWeights(connector, folder, ConnectorInit.LlavaPrefix);
        var template = ChatTemplate.Recognize(tokenizer.ChatTemplateSource, "plain").Template;
        return new MultimodalModel(llm, tokenizer, template, vision, null, connector, null, new MultimodalPromptEncoder(tokenizer, template, 256));
    }

    private static (long[] Ids, Tensor Logits) Run(MultimodalModel model)
    {
        var sample = model.EncodeConversation([ChatMessage.User("<image>\nWhat colour is the shape?")],
            [FixturePaths.Of("image", "image_56x40.png")], [], "export test", addGenerationPrompt: true)!;
        using var batch = model.Collate([sample]);
        using var _ = no_grad();
        var context = model.Context(batch, training: false);
        return (TensorAssert.Longs(batch.Ids), model.Forward(batch, context).Logits);
    }

    [Fact]
    public void The_reloaded_export_gives_the_trained_models_logits_and_the_model_is_left_unmerged()
    {
        using var temp = new TempFolder();
        using var model = BuildTrained();
        var report = LlavaExport.Write(model, Smoke("llm"), temp.File("llava"));
        Assert.All(model.Components.SelectMany(c => AdapterScopes.Projections(c.Root)), p => Assert.Empty(p.Adapters.Merged));
        Assert.Equal(4 + 2 + 1, report.MergedAdapters);   // q/v in 2 LLM layers, fc1 in 2 tower layers, the connector's linear_1

        using var reloaded = Reload(report.Folder);
        var (sourceIds, sourceLogits) = Run(model);
        var (exportedIds, exportedLogits) = Run(reloaded);
        Assert.Equal(sourceIds, exportedIds);
        Assert.Equal(512, exportedLogits.shape[2]);   // 460 + <image>, padded to a multiple of 64
        // fp32 throughout: only summation order differs (merged weights, a wider LM head).
        TensorAssert.Close(exportedLogits.narrow(2, 0, SmokeVocabulary), sourceLogits, 1e-5, "logits of the reloaded LLaVA export");
        using (AdapterScopes.Disable(model.Llm))
        {
            var (_, plain) = Run(model);
            Assert.True(TensorAssert.RelativeError(plain, sourceLogits) > 1e-3, "the LoRAs must change the logits for the comparison to mean anything");
        }
    }

    [Fact]
    public void Config_tokenizer_and_tensors_follow_the_llava_layout()
    {
        using var temp = new TempFolder();
        using var model = BuildTrained();
        var report = LlavaExport.Write(model, Smoke("llm"), temp.File("llava"));
        var folder = report.Folder;

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        Assert.Equal("llava", (string)config["model_type"]!);
        Assert.Equal("LlavaForConditionalGeneration", (string)config["architectures"]![0]!);
        Assert.Equal(SmokeVocabulary, (int)config["image_token_index"]!);
        Assert.Equal(16, (int)config["image_seq_length"]!);              // (32 / 8)² patches, class token dropped
        Assert.Equal(-2, (int)config["vision_feature_layer"]!);
        Assert.Equal("default", (string)config["vision_feature_select_strategy"]!);
        Assert.Equal("gelu", (string)config["projector_hidden_act"]!);
        Assert.True((bool)config["multimodal_projector_bias"]!);
        Assert.Equal("float32", (string)config["torch_dtype"]!);
        Assert.Equal("llama", (string)config["text_config"]!["model_type"]!);
        Assert.Equal(512, (int)config["text_config"]!["vocab_size"]!);
        Assert.Equal(64, (int)config["text_config"]!["hidden_size"]!);
        Assert.Equal("clip_vision_model", (string)config["vision_config"]!["model_type"]!);
        Assert.Equal(8, (int)config["vision_config"]!["patch_size"]!);
        Assert.Equal(32, (int)config["vision_config"]!["image_size"]!);
        Assert.Equal("quick_gelu", (string)config["vision_config"]!["hidden_act"]!);

        var processor = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "processor_config.json")))!;
        Assert.Equal(8, (int)processor["patch_size"]!);
        Assert.Equal(1, (int)processor["num_additional_image_tokens"]!);
        Assert.Equal("default", (string)processor["vision_feature_select_strategy"]!);
        var preprocessor = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "preprocessor_config.json")))!;
        Assert.Equal("CLIPImageProcessor", (string)preprocessor["image_processor_type"]!);
        Assert.Equal(32, (int)preprocessor["size"]!["shortest_edge"]!);
        Assert.Equal(32, (int)preprocessor["crop_size"]!["height"]!);
        Assert.Equal(3, (int)preprocessor["resample"]!);
        var chat = (string)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "chat_template.json")))!["chat_template"]!;
        Assert.StartsWith(LlavaTokenizerFilesPreamble, chat, StringComparison.Ordinal);
        Assert.EndsWith(TextTokenizer.FromFolder(Smoke("llm")).ChatTemplateSource!, chat, StringComparison.Ordinal);

        var tokenizer = TextTokenizer.FromFolder(folder);
        Assert.Equal((int)config["image_token_index"]!, tokenizer.SpecialTokens["<image>"]);
        Assert.Equal(SmokeVocabulary + 1, tokenizer.VocabSize);
        var decoder = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")))!["added_tokens_decoder"]!;
        Assert.Equal("<image>", (string)decoder[SmokeVocabulary.ToString(System.Globalization.CultureInfo.InvariantCulture)]!["content"]!);

        // Exactly the source's non-adapter tensors under LLaVA's prefixes, plus the projector; only vocabulary rows grow.
        var expected = new Dictionary<string, long[]>();
        foreach (var (key, tensor) in model.Vision!.Tower.state_dict())
            if (!key.Contains(".adapters.", StringComparison.Ordinal))
                expected["vision_tower." + key] = tensor.shape;
        foreach (var (key, tensor) in model.Llm.state_dict())
            if (!key.Contains(".adapters.", StringComparison.Ordinal))
                expected["language_model." + key] = key is "model.embed_tokens.weight" or "lm_head.weight" ? [512, 64] : tensor.shape;
        expected["multi_modal_projector.linear_1.weight"] = [64, 48];
        expected["multi_modal_projector.linear_1.bias"] = [64];
        expected["multi_modal_projector.linear_2.weight"] = [64, 64];
        expected["multi_modal_projector.linear_2.bias"] = [64];
        using var checkpoint = CheckpointReader.Open(folder);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), checkpoint.Names.Order(StringComparer.Ordinal));
        foreach (var name in checkpoint.Names)
            Assert.Equal(expected[name], checkpoint.Info(name).Shape);
        // The new rows are the mean of the trained ones.
        using var embeddings = checkpoint.Read("language_model.model.embed_tokens.weight");
        TensorAssert.Close(embeddings[SmokeVocabulary], embeddings.narrow(0, 0, SmokeVocabulary).mean([0]), 1e-6, "<image> row");
    }

    private static string LlavaTokenizerFilesPreamble => "{%- set flattened = namespace(messages=[]) -%}";

    /// <summary>The names of llava-hf/llava-1.5-7b-hf's <c>model.safetensors.index.json</c> outside the decoder and
    /// encoder layers, and those of their first layer (a Llama decoder without biases, a CLIP tower).</summary>
    private static readonly string[] Llava15FirstLayerNames =
    [
        "language_model.lm_head.weight",
        "language_model.model.embed_tokens.weight",
        "language_model.model.layers.0.input_layernorm.weight",
        "language_model.model.layers.0.mlp.down_proj.weight",
        "language_model.model.layers.0.mlp.gate_proj.weight",
        "language_model.model.layers.0.mlp.up_proj.weight",
        "language_model.model.layers.0.post_attention_layernorm.weight",
        "language_model.model.layers.0.self_attn.k_proj.weight",
        "language_model.model.layers.0.self_attn.o_proj.weight",
        "language_model.model.layers.0.self_attn.q_proj.weight",
        "language_model.model.layers.0.self_attn.v_proj.weight",
        "language_model.model.norm.weight",
        "multi_modal_projector.linear_1.bias",
        "multi_modal_projector.linear_1.weight",
        "multi_modal_projector.linear_2.bias",
        "multi_modal_projector.linear_2.weight",
        "vision_tower.vision_model.embeddings.class_embedding",
        "vision_tower.vision_model.embeddings.patch_embedding.weight",
        "vision_tower.vision_model.embeddings.position_embedding.weight",
        "vision_tower.vision_model.encoder.layers.0.layer_norm1.bias",
        "vision_tower.vision_model.encoder.layers.0.layer_norm1.weight",
        "vision_tower.vision_model.encoder.layers.0.layer_norm2.bias",
        "vision_tower.vision_model.encoder.layers.0.layer_norm2.weight",
        "vision_tower.vision_model.encoder.layers.0.mlp.fc1.bias",
        "vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight",
        "vision_tower.vision_model.encoder.layers.0.mlp.fc2.bias",
        "vision_tower.vision_model.encoder.layers.0.mlp.fc2.weight",
        "vision_tower.vision_model.encoder.layers.0.self_attn.k_proj.bias",
        "vision_tower.vision_model.encoder.layers.0.self_attn.k_proj.weight",
        "vision_tower.vision_model.encoder.layers.0.self_attn.out_proj.bias",
        "vision_tower.vision_model.encoder.layers.0.self_attn.out_proj.weight",
        "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.bias",
        "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight",
        "vision_tower.vision_model.encoder.layers.0.self_attn.v_proj.bias",
        "vision_tower.vision_model.encoder.layers.0.self_attn.v_proj.weight",
        "vision_tower.vision_model.post_layernorm.bias",
        "vision_tower.vision_model.post_layernorm.weight",
        "vision_tower.vision_model.pre_layrnorm.bias",
        "vision_tower.vision_model.pre_layrnorm.weight",
    ];

    [Fact]
    public void Tensor_names_match_llava_1_5_hf()
    {
        using var temp = new TempFolder();
        using var model = BuildTrained();
        var report = LlavaExport.Write(model, Smoke("llm"), temp.File("llava"));
        using var checkpoint = CheckpointReader.Open(report.Folder);
        var firstLayer = checkpoint.Names.Where(n => !n.Contains(".layers.", StringComparison.Ordinal) || n.Contains(".layers.0.", StringComparison.Ordinal));
        Assert.Equal(Llava15FirstLayerNames, firstLayer.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_linear_connector_becomes_linear_1_with_an_identity_linear_2_and_bf16_halves_the_weights()
    {
        using var temp = new TempFolder();
        using var model = BuildTrained(new LinearConnectorOptions());
        var report = LlavaExport.Write(model, Smoke("llm"), temp.File("llava"), new LlavaExportOptions { Dtype = ScalarType.BFloat16, PadVocabularyTo = 1 });
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(report.Folder, "config.json")))!;
        Assert.Equal("linear", (string)config["projector_hidden_act"]!);
        Assert.Equal("bfloat16", (string)config["torch_dtype"]!);
        Assert.Equal(SmokeVocabulary + 1, (int)config["text_config"]!["vocab_size"]!);
        using var checkpoint = CheckpointReader.Open(report.Folder);
        Assert.All(checkpoint.Names, n => Assert.Equal(SafetensorsDtype.BF16, checkpoint.Info(n).Dtype));
        using var identity = checkpoint.Read("multi_modal_projector.linear_2.weight", ScalarType.Float32);
        Assert.True(identity.equal(eye(64)).all().item<bool>());
        using var linear1 = checkpoint.Read("multi_modal_projector.linear_1.weight", ScalarType.Float32);
        var connector = (MlpConnector)model.ImageConnector!;
        connector.Layers[0].Adapters.Merge("default", connector.Layers[0].Weight);
        TensorAssert.Close(linear1, connector.Layers[0].Weight.to(ScalarType.BFloat16).to(ScalarType.Float32), 0, "linear_1 = merged connector");
    }

    [Fact]
    public void Connectors_llava_cannot_hold_are_refused_by_name()
    {
        using var temp = new TempFolder();
        using var model = BuildTrained(new MlpConnectorOptions { Depth = 3 });
        var error = Assert.Throws<InvalidOperationException>(() => LlavaExport.Write(model, Smoke("llm"), temp.File("llava")));
        Assert.Contains("'mlp' connector of depth 3", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("llava")));
    }

    [Fact]
    public void Audio_is_refused_unless_dropped_and_dropping_it_warns()
    {
        using var temp = new TempFolder();
        using var model = BuildTrained(withAudio: true);
        var error = Assert.Throws<InvalidOperationException>(() => LlavaExport.Write(model, Smoke("llm"), temp.File("llava")));
        Assert.Contains("--drop-audio", error.Message, StringComparison.Ordinal);
        var report = LlavaExport.Write(model, Smoke("llm"), temp.File("llava"), new LlavaExportOptions { DropAudio = true });
        Assert.Contains(report.Warnings, w => w.Contains("audio tower", StringComparison.Ordinal));
        using var checkpoint = CheckpointReader.Open(report.Folder);
        Assert.DoesNotContain(checkpoint.Names, n => n.Contains("audio", StringComparison.Ordinal));
    }

    [Fact]
    public void Adapters_that_cannot_fold_are_named_with_the_reason_and_nothing_is_written()
    {
        using var temp = new TempFolder();
        var recipe = RecipeLoader.Load(FixturePaths.Of("recipes", "smoke.yaml"));   // a mixture of LoRA experts and a MAG gate
        using var model = RecipeModelBuilder.Build(recipe);
        BottleneckAttacher.Attach(model.Vision!.Tower, "vision", new BottleneckOptions { Bottleneck = 4 }, name: "bottle");
        var error = Assert.Throws<InvalidOperationException>(() =>
            LlavaExport.Write(model, recipe.Model.Llm.Path, temp.File("llava"), new LlavaExportOptions { DropAudio = true }));
        Assert.Contains("adapter 'moe' on llm model.layers.0.self_attn.q_proj (LoraMixture): a mixture of LoRA experts routes each token", error.Message, StringComparison.Ordinal);
        Assert.Contains("adapter 'mag' on llm model.layers.0.self_attn.v_proj (ModalityAttentionGate): a modality attention gate", error.Message, StringComparison.Ordinal);
        Assert.Contains("adapter 'bottle' on vision vision_model.encoder.layers.0.", error.Message, StringComparison.Ordinal);
        Assert.Contains("(BottleneckAdapter): a bottleneck adapter", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("llava")));
    }

    [Fact]
    public void An_existing_folder_is_kept_unless_overwrite_is_asked()
    {
        using var temp = new TempFolder();
        var folder = temp.File("llava");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "keep.txt"), "mine");
        using var model = BuildTrained();
        var error = Assert.Throws<IOException>(() => LlavaExport.Write(model, Smoke("llm"), folder));
        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(folder, "keep.txt")));

        LlavaExport.Write(model, Smoke("llm"), folder, new LlavaExportOptions { Overwrite = true });
        Assert.False(File.Exists(Path.Combine(folder, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.DoesNotContain(Directory.GetDirectories(temp.Path), d => Path.GetFileName(d).StartsWith('.'));
    }

    [Fact]
    public void Large_models_are_sharded_with_an_index()
    {
        using var temp = new TempFolder();
        using var model = BuildTrained();
        var report = LlavaExport.Write(model, Smoke("llm"), temp.File("llava"), new LlavaExportOptions { MaxShardBytes = 200_000 });
        Assert.Contains("model.safetensors.index.json", report.Files);
        Assert.DoesNotContain("model.safetensors", report.Files);
        using var reloaded = Reload(report.Folder);
        Assert.Equal(512, reloaded.Llm.VocabSize);
    }
}
