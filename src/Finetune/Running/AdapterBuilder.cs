using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MMAdapt.Adapters.Bottleneck;
using MMAdapt.Adapters.Ia3;
using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Pill;
using MMAdapt.Adapters.Routing;
using MMAdapt.Adapters.SoftMoa;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Configuration;
using MMAdapt.Finetune.Recipes;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Running;

/// <summary>Attaches the adapters a recipe lists, each to its component, with the method's own attacher.</summary>
public static class AdapterBuilder
{
    /// <summary>Attaches <paramref name="spec"/> to its component among <paramref name="components"/>.</summary>
    /// <exception cref="InvalidDataException">An unknown component, type or setting (named with the recipe location).</exception>
    public static void Attach(AdapterSpec spec, IReadOnlyList<(string Component, nn.Module Root)> components, long seed, RoutingStatistics? statistics, string where)
    {
        var root = components.FirstOrDefault(c => c.Component == spec.Component).Root
            ?? throw new InvalidDataException($"{where}: adapter '{spec.Name}' targets component '{spec.Component}', which the model does not have " +
                                              $"(components: {string.Join(", ", components.Select(c => c.Component))}).");
        var settings = (JsonObject)spec.Settings.DeepClone();
        string component = spec.Component;
        switch (spec.Type)
        {
            case "lora":
                LoraAttacher.Attach(root, component, (LoraConfig)PeftConfigOf(spec, where)!, spec.Name, seed);
                break;
            case "ia3":
                Ia3Attacher.Attach(root, component, (Ia3Config)PeftConfigOf(spec, where)!, spec.Name);
                break;
            case "lora_mixture":
                var groups = settings["experts_per_layer_group"]?.AsArray().Select(n => n!.GetValue<int>()).ToList();
                settings.Remove("experts_per_layer_group");
                var options = MixtureOptionsJson.Read(settings, $"{where} (adapter '{spec.Name}')");
                MixtureAttacher.Attach(root, component, new TargetSelection { Targets = spec.Targets ?? throw Missing(where, spec, "targets"), LayersToTransform = spec.Layers },
                    options, spec.Name, seed, groups, statistics);
                break;
            case "bottleneck":
                BottleneckAttacher.Attach(root, component, Read<BottleneckOptions>(settings, where) with { Layers = spec.Layers }, spec.Name, seed);
                break;
            case "soft_moa":
            case "dense_moa":
                MoaAttacher.Attach(root, component, Read<MoaOptions>(settings, where) with
                {
                    Mixing = spec.Type == "soft_moa" ? "soft" : "dense",
                    Layers = spec.Layers,
                }, spec.Name, seed);
                break;
            case "momae":
                PillAttacher.AttachExperts(root, component, Read<MomaeOptions>(settings, where) with { Layers = spec.Layers }, spec.Name, seed);
                break;
            case "mag":
                var mag = Read<MagOptions>(settings, where) with { Layers = spec.Layers };
                if (mag.Heads == 0 && KeyValueHeads(root) is int heads)
                    mag = mag with { Heads = heads };
                if (spec.Targets?.Names is { } names)
                    mag = mag with { TargetModules = names };
                PillAttacher.AttachGates(root, component, mag, spec.Name);
                break;
            default:
                throw new InvalidDataException($"{where}: adapter type '{spec.Type}' is not known; known: {string.Join(", ", AdapterSpec.Types)}.");
        }
    }

    // MAG gates per key/value head; a recipe may leave `heads` out and take it from the component's config.
    private static int? KeyValueHeads(nn.Module root) => root switch
    {
        Models.Llama.LlamaForCausalLM llm => llm.Config.NumKeyValueHeads,
        Encoders.Vision.VisionTower tower => tower.Config.Heads,
        Encoders.Whisper.WhisperEncoder whisper => whisper.Config.EncoderAttentionHeads,
        Encoders.Ast.AstModel ast => ast.Config.NumAttentionHeads,
        _ => null,
    };

    /// <summary>The PEFT config of a <c>lora</c> or <c>ia3</c> adapter (what its PEFT folder's
    /// <c>adapter_config.json</c> says); null for the adapters PEFT has no type for.</summary>
    /// <exception cref="InvalidDataException">A missing or unknown setting (named with <paramref name="where"/>).</exception>
    public static Adapters.Peft.PeftConfig? PeftConfigOf(AdapterSpec spec, string where)
    {
        var settings = (JsonObject)spec.Settings.DeepClone();
        switch (spec.Type)
        {
            case "lora":
                // PEFT's names (r, lora_alpha, lora_dropout) or the ones the mixtures take (rank, alpha, dropout).
                foreach (var (alias, peftName) in LoraAliases)
                    Rename(settings, alias, peftName, where, spec);
                return Read<LoraConfig>(settings, where) with
                {
                    TargetModules = spec.Targets ?? throw Missing(where, spec, "targets"),
                    LayersToTransform = spec.Layers,
                };
            case "ia3":
                if (spec.Layers is not null)
                    throw new InvalidDataException($"{where}: adapter '{spec.Name}' (ia3) does not take 'layers'; select layers with a regex in 'targets'.");
                return Read<Ia3Config>(settings, where) with { TargetModules = spec.Targets ?? throw Missing(where, spec, "targets") };
            default:
                return null;
        }
    }

    private static readonly (string Alias, string PeftName)[] LoraAliases = [("rank", "r"), ("alpha", "lora_alpha"), ("dropout", "lora_dropout")];

    private static void Rename(JsonObject settings, string alias, string name, string where, AdapterSpec spec)
    {
        if (!settings.ContainsKey(alias))
            return;
        if (settings.ContainsKey(name))
            throw new InvalidDataException($"{where}: adapter '{spec.Name}' ({spec.Type}) sets both '{alias}' and '{name}', which mean the same; keep one.");
        var value = settings[alias];
        settings.Remove(alias);
        settings[name] = value;
    }

    private static InvalidDataException Missing(string where, AdapterSpec spec, string key) =>
        new($"{where}: adapter '{spec.Name}' ({spec.Type}) needs '{key}'.");

    private static readonly JsonSerializerOptions Strict = new(HfConfigReader.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    // Settings are the options record's own snake_case keys; an unknown key is an error naming it.
    private static T Read<T>(JsonObject settings, string where)
    {
        try
        {
            return settings.Deserialize<T>(Strict)!;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where}: invalid {typeof(T).Name} settings: {e.Message.Split(" Path:")[0]}", e);
        }
    }
}
