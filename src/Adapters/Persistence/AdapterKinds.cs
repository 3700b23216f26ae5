using MMAdapt.Adapters.Bottleneck;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Pill;
using MMAdapt.Adapters.SoftMoa;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Persistence;

/// <summary>The table of adapter kinds that <see cref="MmadaptModules"/> saves and loads; other libraries register theirs.</summary>
/// <remarks>Built in: <c>lora_mixture</c> (<see cref="LoraMixture"/>), <c>bottleneck_adapter</c>
/// (<see cref="BottleneckAdapter"/>, any placement), <c>soft_moa</c> (<see cref="SoftMixtureOfAdapters"/>), <c>dense_moa</c>
/// (<see cref="DenseMixtureOfAdapters"/>), <c>momae</c> (<see cref="ModalityAdapterExperts"/>) and <c>mag</c>
/// (<see cref="ModalityAttentionGate"/>).</remarks>
public static class AdapterKinds
{
    private static readonly List<IAdapterKind> Kinds =
        [new LoraMixtureKind(), new BottleneckAdapterKind(), new SoftMoaKind(), new DenseMoaKind(), new MomaeKind(), new MagKind()];
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
}
