using System.Text.Json.Nodes;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Persistence;

/// <summary>Where a saved adapter sits: on a projection (its host) or in a sublayer site.</summary>
/// <param name="Host">The projection, for projection adapters.</param>
/// <param name="Site">The site, for sublayer adapters.</param>
public sealed record AdapterPlacement(IAdapterHost? Host, SublayerAdapterSite? Site);

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
    nn.Module Create(JsonObject settings, AdapterPlacement placement, string source);
}

/// <summary>The table of adapter kinds that <see cref="MmadaptModules"/> saves and loads; other libraries register theirs.</summary>
public static class AdapterKinds
{
    private static readonly List<IAdapterKind> Kinds = [new LoraMixtureKind()];
    private static readonly object Gate = new();

    /// <summary>Adds a kind (a later registration of the same name replaces the earlier).</summary>
    public static void Register(IAdapterKind kind)
    {
        lock (Gate)
        {
            Kinds.RemoveAll(k => k.Kind == kind.Kind);
            Kinds.Add(kind);
        }
    }

    /// <summary>The kind that handles <paramref name="adapter"/>, or null.</summary>
    public static IAdapterKind? Of(nn.Module adapter)
    {
        lock (Gate)
            return Kinds.FirstOrDefault(k => k.Handles(adapter));
    }

    /// <summary>The kind called <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">Unknown kind; the message lists the registered ones.</exception>
    public static IAdapterKind Named(string name, string source)
    {
        lock (Gate)
            return Kinds.FirstOrDefault(k => k.Kind == name)
                ?? throw new InvalidDataException($"{source}: adapter kind '{name}' is not known; known: {string.Join(", ", Kinds.Select(k => k.Kind))}.");
    }

    private sealed class LoraMixtureKind : IAdapterKind
    {
        public string Kind => "lora_mixture";

        public bool Handles(nn.Module adapter) => adapter is LoraMixture;

        public JsonObject Describe(nn.Module adapter) => MixtureOptionsJson.Write(((LoraMixture)adapter).Options);

        public nn.Module Create(JsonObject settings, AdapterPlacement placement, string source)
        {
            var host = placement.Host as AdaptableLinear
                ?? throw new InvalidDataException($"{source}: a lora_mixture sits on a linear projection.");
            return new LoraMixture(host.InFeatures, host.OutFeatures, MixtureOptionsJson.Read(settings, source), host.Weight.dtype, host.Weight.device);
        }
    }
}
