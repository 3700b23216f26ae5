using System.Text.Json.Nodes;
using MMAdapt.Adapters.Common;
using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Pill;

/// <summary>Modality names as recipes write them (<c>text</c>, <c>image</c>, <c>audio</c>), resolved to <see cref="Modality"/>.</summary>
public static class ModalityNames
{
    private static readonly OptionTable<Modality> Table = new("modality", ("text", Modality.Text), ("image", Modality.Image), ("audio", Modality.Audio));

    /// <summary>The option name of a modality.</summary>
    public static string Of(Modality modality) => Table.NameOf(modality);

    /// <summary>Modalities as a JSON list of their names (for <c>mmadapt_config.json</c>).</summary>
    public static JsonArray Json(IEnumerable<Modality> modalities) => new(modalities.Select(m => (JsonNode)Of(m)).ToArray());

    /// <summary>Resolves a list of modality names (case-insensitive), keeping its order.</summary>
    /// <param name="names">The option value.</param>
    /// <param name="source">What the value came from, for messages.</param>
    /// <param name="key">The option key, for messages.</param>
    /// <exception cref="InvalidDataException">The list is empty, repeats a modality or names an unknown one (the message
    /// lists the supported names).</exception>
    public static IReadOnlyList<Modality> Parse(IReadOnlyList<string> names, string source, string key) => Table.ParseList(names, source, key);
}
