using System.Text.Json;
using System.Text.Json.Nodes;
using MMAdapt.Adapters.Common;

namespace MMAdapt.Adapters.Persistence;

/// <summary>
/// Reads the <c>settings</c> object of one <c>mmadapt_config.json</c> entry for an <see cref="IAdapterKind"/>: keys the
/// kind does not know are refused, and every error names the key, the kind and the entry.
/// </summary>
public sealed class SettingsReader
{
    private readonly JsonObject json;
    private readonly string kind, source;

    /// <summary>Checks the keys.</summary>
    /// <param name="json">The settings object.</param>
    /// <param name="kind">The adapter kind (<c>bottleneck_adapter</c>), for messages.</param>
    /// <param name="source">The file and entry, for messages.</param>
    /// <param name="known">Every key the kind reads.</param>
    /// <exception cref="InvalidDataException">A key that is not in <paramref name="known"/>; the message lists the known ones.</exception>
    public SettingsReader(JsonObject json, string kind, string source, params string[] known)
    {
        (this.json, this.kind, this.source) = (json, kind, source);
        foreach (var (key, _) in json)
            if (!known.Contains(key))
                throw new InvalidDataException($"{source}: unknown {kind} setting '{key}'; known: {string.Join(", ", known)}.");
    }

    /// <summary>A required whole number.</summary>
    /// <exception cref="InvalidDataException">Missing, or not a whole number.</exception>
    public long Long(string key) =>
        Read(key, "a whole number", e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v) ? (true, v) : (false, 0L));

    /// <summary>A required number.</summary>
    /// <exception cref="InvalidDataException">Missing, or not a number.</exception>
    public double Double(string key) =>
        Read(key, "a number", e => (e.ValueKind == JsonValueKind.Number, e.ValueKind == JsonValueKind.Number ? e.GetDouble() : 0));

    /// <summary>A required true or false.</summary>
    /// <exception cref="InvalidDataException">Missing, or not true or false.</exception>
    public bool Bool(string key) =>
        Read(key, "true or false", e => (e.ValueKind is JsonValueKind.True or JsonValueKind.False, e.ValueKind == JsonValueKind.True));

    /// <summary>An optional true or false; <paramref name="fallback"/> when the key is absent.</summary>
    /// <exception cref="InvalidDataException">Not true or false.</exception>
    public bool Bool(string key, bool fallback) => json.ContainsKey(key) ? Bool(key) : fallback;

    /// <summary>A required list of names.</summary>
    /// <exception cref="InvalidDataException">Missing, or not a list of strings.</exception>
    public IReadOnlyList<string> Names(string key) =>
        Read(key, "a list of names", e => e.ValueKind == JsonValueKind.Array && e.EnumerateArray().All(i => i.ValueKind == JsonValueKind.String)
            ? (true, e.EnumerateArray().Select(i => i.GetString()!).ToList())
            : (false, []));

    /// <summary>A required list of names resolved by <paramref name="parse"/>, which gets the names, the entry and the
    /// setting (<c>momae setting 'modalities'</c>) for its messages.</summary>
    /// <exception cref="InvalidDataException">Missing, not a list of strings, or refused by <paramref name="parse"/>.</exception>
    public T Names<T>(string key, Func<IReadOnlyList<string>, string, string, T> parse) => parse(Names(key), source, $"{kind} setting '{key}'");

    /// <summary>A required activation name (<c>gelu</c>, <c>silu</c>, ...).</summary>
    /// <exception cref="InvalidDataException">Missing, or not a supported name (the message lists them).</exception>
    public AdapterActivation Activation(string key) => AdapterActivations.Parse(
        Read(key, "an activation name", e => (e.ValueKind == JsonValueKind.String, e.ValueKind == JsonValueKind.String ? e.GetString()! : "")),
        $"{source}: {kind} setting '{key}'");

    // Reads through a JsonElement, so that values built in code (an int where a long is read) and parsed ones read alike.
    private T Read<T>(string key, string what, Func<JsonElement, (bool Ok, T Value)> read)
    {
        var node = json[key] ?? throw new InvalidDataException($"{source}: {kind} setting '{key}' is missing.");
        using var document = JsonDocument.Parse(node.ToJsonString());
        var (ok, value) = read(document.RootElement);
        return ok ? value : throw new InvalidDataException($"{source}: {kind} setting '{key}' must be {what}, got {node.ToJsonString()}.");
    }
}
