using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Persistence;

/// <summary>Describes and rebuilds one kind of adapter, for <c>mmadapt_config.json</c>.</summary>
public interface IAdapterKind
{
    /// <summary>The kind's name in the file (e.g. <c>lora_mixture</c>).</summary>
    string Kind { get; }

    /// <summary>True when <paramref name="adapter"/> is of this kind.</summary>
    bool Handles(nn.Module adapter);

    /// <summary>The settings that rebuild <paramref name="adapter"/> (shapes follow from them and the placement).</summary>
    JsonObject Describe(nn.Module adapter);

    /// <summary>Builds a fresh adapter from its settings for a placement (weights are loaded afterwards).</summary>
    /// <exception cref="InvalidDataException">An unknown, missing or ill-typed setting, or a placement the kind cannot
    /// sit in; the message names it and <paramref name="source"/>.</exception>
    nn.Module Create(JsonObject settings, AdapterPlacement placement, string source);
}
