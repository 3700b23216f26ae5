using MMAdapt.Adapters.Routing;
using MMAdapt.Connectors;
using MMAdapt.Core.Devices;
using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Images;
using MMAdapt.Encoders.Vision;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Models.Chat;
using MMAdapt.Models.Llama;
using MMAdapt.Models.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Running;

/// <summary>
/// Builds the <see cref="MultimodalModel"/> a recipe describes: the LLM (a Llama-family or LLaVA folder), the towers,
/// the connectors, every adapter, and the classification head of classify stages. Without weights, the model is built on PyTorch's <c>meta</c> device from the
/// config files alone, so a recipe for a 70B model validates anywhere in a second.
/// </summary>
public static class RecipeModelBuilder
{
    /// <summary>The meta device: shapes without storage.</summary>
    public static Device Meta { get; } = new(DeviceType.META);

    /// <summary>Builds the model.</summary>
    /// <param name="recipe">The recipe.</param>
    /// <param name="loadWeights">False: config files only, on the meta device (no tensor has data).</param>
    /// <param name="statistics">Where mixtures record routing statistics, or null.</param>
    public static MultimodalModel Build(Recipe recipe, bool loadWeights = true, RoutingStatistics? statistics = null)
    {
        var device = loadWeights ? DeviceChoice.ResolveDevice(recipe.Device) : Meta;
        var dtype = DeviceChoice.ResolveDtype(recipe.Dtype);
        var source = recipe.Source;
        string Where(string key) => source?.Describe(key) ?? key;
        torch.manual_seed(recipe.Seed);

        var llmFolder = recipe.Model.Llm.Path;
        var llmConfig = LlamaConfig.LoadText(Path.Combine(llmFolder, "config.json"));
        var llm = !loadWeights ? new LlamaForCausalLM(llmConfig, dtype, device)
            : IsMultimodalConfig(llmFolder) ? LlamaForCausalLM.FromCheckpoint(llmConfig, llmFolder, dtype, device) // a LLaVA folder
            : LlamaForCausalLM.FromPretrained(llmFolder, dtype, device);
        var parts = new List<IDisposable> { llm };
        try
        {
            var tokenizer = loadWeights || Models.LanguageModel.HasTokenizer(llmFolder) ? TextTokenizer.FromFolder(llmFolder) : ShapeOnlyTokenizer.Create();
            var template = recipe.Model.Llm.ChatTemplate is { } name ? ChatTemplate.ByName(name)
                : tokenizer.ChatTemplateSource is { } jinja ? ChatTemplate.Recognize(jinja, "chatml").Template
                : ChatTemplate.ByName("plain");

            VisionPart? vision = null;
            if (recipe.Model.Vision is { } v)
            {
                var tower = loadWeights ? VisionTower.FromPretrained(v.Path, dtype, device)
                    : new VisionTower(VisionTowerConfig.Load(Path.Combine(v.Path, "config.json")), dtype, device);
                vision = new VisionPart(tower, ImagePreprocessor.FromPretrained(v.Path, v.PadToSquare), new VisionFeatureSelection(v.FeatureLayer, v.KeepClassToken));
                parts.Add(vision);
            }
            AudioPart? audio = null;
            if (recipe.Model.Audio is { } a)
            {
                audio = AudioPart.Load(a.Path, a.Trim, dtype, device, loadWeights);
                parts.Add(audio);
            }

            var generator = new Generator((ulong)recipe.Seed + 17);
            Connector? Connect(string key, int? towerWidth)
            {
                if (towerWidth is null || !recipe.Connectors.TryGetValue(key, out var json))
                    return null;
                var connector = CreateConnector(json, Where($"connectors.{key}"), key, towerWidth.Value, llm.HiddenSize, loadWeights ? llm.Device : device, generator, statistics);
                parts.Add(connector);
                return connector;
            }
            var imageConnector = Connect("image", vision?.Tower.HiddenSize);
            var audioConnector = Connect("audio", audio?.HiddenSize);

            var encoder = new MultimodalPromptEncoder(tokenizer, template, recipe.Data.MaxSeqLen, recipe.Data.OnTruncate, recipe.Data.LossOn == LossTokens.All);
            var model = new MultimodalModel(llm, tokenizer, template, vision, audio, imageConnector, audioConnector, encoder);
            // The backbones start frozen and new parts trainable, so a summary before training shows what will train;
            // each stage then chooses its own parameters (ParameterSelection.Apply).
            foreach (var backbone in new nn.Module?[] { llm, vision?.Tower, audio?.Tower })
                if (backbone is not null)
                    Adapters.Training.Trainability.FreezeAll(backbone);
            for (int i = 0; i < recipe.Adapters.Count; i++)
                AdapterBuilder.Attach(recipe.Adapters[i], model.Components, recipe.Seed + 100 + i, statistics, Where($"adapters[{i}]"));
            // Every classify stage shares one head (validation rejects differing ones), drawn from its own seeded generator.
            if (recipe.Stages.FirstOrDefault(s => s.Head is not null)?.Head is { } spec)
                parts.Add(model.AttachHead(spec.Component, spec.Labels, spec.Pooling, recipe.Seed));
            return model;
        }
        catch
        {
            foreach (var part in parts)
                part.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Puts in place the connectors stage <paramref name="stageIndex"/> uses: its own <c>connectors</c> entries, else the
    /// recipe's. A connector whose settings differ from the one in place is built anew (initialised from a generator
    /// seeded by the recipe seed and the stage, so a resumed run builds the same one) and the old one disposed.
    /// </summary>
    /// <returns>The modalities whose connector was replaced.</returns>
    public static IReadOnlyList<string> UseStageConnectors(MultimodalModel model, Recipe recipe, int stageIndex, RoutingStatistics? statistics = null)
    {
        var stage = recipe.Stages[stageIndex];
        var replaced = new List<string>();
        foreach (var (modality, current) in new[] { (Modality.Image, model.ImageConnector), (Modality.Audio, model.AudioConnector) })
        {
            var key = modality.ToString().ToLowerInvariant();
            if (current is null)
                continue;
            bool own = stage.Connectors.TryGetValue(key, out var json);
            if (!own)
                json = recipe.Connectors[key];
            var where = recipe.Source?.Describe(own ? $"stages[{stageIndex}].connectors.{key}" : $"connectors.{key}") ?? key;
            var options = ConnectorFactory.Parse(json!, where);
            if (ConnectorFactory.Write(options).ToJsonString() == ConnectorFactory.Write(current.Options).ToJsonString())
                continue;
            using var generator = new Generator((ulong)(recipe.Seed + 17 + 1000L * (stageIndex + 1)));
            var connector = CreateConnector(json!, where, key, (int)current.InFeatures, current.OutFeatures, model.Llm.Device, generator, statistics);
            model.ReplaceConnector(modality, connector).Dispose();
            replaced.Add(key);
        }
        return replaced;
    }

    private static Connector CreateConnector(System.Text.Json.Nodes.JsonObject json, string where, string key, int towerWidth, long llmWidth,
        Device device, Generator generator, RoutingStatistics? statistics)
    {
        var options = ConnectorFactory.Parse(json, where);
        var connector = ConnectorFactory.Create(options, towerWidth, llmWidth, ScalarType.Float32, device, generator);
        connector.Name = $"connector:{key}";
        if (connector is MoeConnector moe)
            moe.Statistics = statistics;
        return connector;
    }

    private static bool IsMultimodalConfig(string folder)
    {
        using var document = Core.Configuration.HfConfigReader.ReadDocument(Path.Combine(folder, "config.json"));
        return document.RootElement.TryGetProperty("text_config", out _);
    }
}
