using System.Text.Json.Nodes;
using MMAdapt.Adapters.Routing;
using MMAdapt.Core.Configuration;
using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Mixtures;

/// <summary>
/// <see cref="MixtureOptions"/> as JSON, for <c>mmadapt_config.json</c> and recipes: snake_case keys, the strategy and
/// aux losses as their spec strings (<c>"softmax_topk:k=2,renorm=true"</c>, <c>"load_balance:coef=0.01"</c>).
/// </summary>
public static class MixtureOptionsJson
{
    /// <summary>Writes the options.</summary>
    public static JsonObject Write(MixtureOptions o)
    {
        var json = new JsonObject
        {
            ["experts"] = o.Experts,
            ["rank"] = o.Rank,
            ["alpha"] = o.Alpha,
            ["use_rslora"] = o.UseRsLora,
            ["dropout"] = o.Dropout,
            ["kind"] = o.Kind == ExpertKind.Lora ? "lora" : "ia3_vector",
            ["strategy"] = o.Strategy.ToSpec(),
            ["router"] = JsonNode.Parse(HfConfigReader.Serialize(o.Router)),
            ["input"] = o.Input switch
            {
                RouterInput.SampleKey k => new JsonObject { ["type"] = "sample_key", ["key"] = k.Key, ["width"] = k.Width, ["layer_norm"] = k.LayerNorm },
                RouterInput.ClusterId c => new JsonObject { ["type"] = "cluster_id", ["key"] = c.Key, ["clusters"] = c.Clusters },
                _ => new JsonObject { ["type"] = "token" },
            },
            ["aux_losses"] = new JsonArray(o.AuxLosses.Select(l => (JsonNode)l.ToSpec()).ToArray()),
            ["shared_experts"] = o.SharedExperts,
            ["null_experts"] = o.NullExperts,
            ["universal_weight"] = o.UniversalWeight,
        };
        if (o.ModalityGroups is { } groups)
            json["modality_groups"] = new JsonArray(groups.Select(g => (JsonNode)new JsonObject
            {
                ["modality"] = g.Modality.ToString().ToLowerInvariant(),
                ["experts"] = g.Experts,
            }).ToArray());
        return json;
    }

    /// <summary>Reads options written by <see cref="Write"/> (missing keys take the defaults).</summary>
    /// <exception cref="InvalidDataException">An unknown key or value; the message names it and <paramref name="source"/>.</exception>
    public static MixtureOptions Read(JsonObject json, string source)
    {
        var known = new HashSet<string> { "experts", "rank", "alpha", "use_rslora", "dropout", "kind", "strategy", "router", "input",
            "aux_losses", "shared_experts", "null_experts", "universal_weight", "modality_groups" };
        foreach (var (key, _) in json)
            if (!known.Contains(key))
                throw new InvalidDataException($"{source}: unknown mixture option '{key}'; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
        var defaults = new MixtureOptions();
        try
        {
            var options = new MixtureOptions
            {
                Experts = json["experts"]?.GetValue<int>() ?? defaults.Experts,
                Rank = json["rank"]?.GetValue<int>() ?? defaults.Rank,
                Alpha = json["alpha"]?.GetValue<double>() ?? defaults.Alpha,
                UseRsLora = json["use_rslora"]?.GetValue<bool>() ?? false,
                Dropout = json["dropout"]?.GetValue<double>() ?? 0,
                Kind = (json["kind"]?.GetValue<string>() ?? "lora") switch
                {
                    "lora" => ExpertKind.Lora,
                    "ia3_vector" => ExpertKind.Ia3Vector,
                    var k => throw new InvalidDataException($"{source}: expert kind '{k}' is not supported; supported: lora, ia3_vector."),
                },
                Strategy = json["strategy"] is { } strategy ? RoutingStrategies.Parse(strategy.GetValue<string>()) : defaults.Strategy,
                Router = json["router"] is JsonObject router
                    ? System.Text.Json.JsonSerializer.Deserialize<RouterOptions>(router.ToJsonString(), HfConfigReader.Options)!
                    : defaults.Router,
                Input = ReadInput(json["input"] as JsonObject, source),
                AuxLosses = (json["aux_losses"] as JsonArray)?.Select(l => AuxLosses.Parse(l!.GetValue<string>())).ToList() ?? [],
                SharedExperts = json["shared_experts"]?.GetValue<int>() ?? 0,
                NullExperts = json["null_experts"]?.GetValue<int>() ?? 0,
                UniversalWeight = json["universal_weight"]?.GetValue<double>(),
                ModalityGroups = (json["modality_groups"] as JsonArray)?.Select(g => (
                    Enum.TryParse<Modality>(g!["modality"]!.GetValue<string>(), ignoreCase: true, out var m)
                        ? m : throw new InvalidDataException($"{source}: unknown modality '{g["modality"]}'; known: {string.Join(", ", Enum.GetNames<Modality>())}."),
                    g["experts"]!.GetValue<int>())).ToList(),
            };
            options.Validate();
            return options;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or System.Text.Json.JsonException)
        {
            throw new InvalidDataException($"{source}: invalid mixture options: {e.Message}", e);
        }
    }

    private static RouterInput ReadInput(JsonObject? json, string source) => json?["type"]?.GetValue<string>() switch
    {
        null or "token" => new RouterInput.Token(),
        "sample_key" => new RouterInput.SampleKey(json!["key"]!.GetValue<string>(), json["width"]!.GetValue<int>(), json["layer_norm"]?.GetValue<bool>() ?? false),
        "cluster_id" => new RouterInput.ClusterId(json!["key"]!.GetValue<string>(), json["clusters"]!.GetValue<int>()),
        var t => throw new InvalidDataException($"{source}: router input '{t}' is not supported; supported: token, sample_key, cluster_id."),
    };
}
