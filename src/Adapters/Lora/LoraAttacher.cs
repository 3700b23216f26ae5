using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Lora;

/// <summary>Attaches LoRA (or DoRA) adapters to a component's projections as a <see cref="LoraConfig"/> says.</summary>
public static class LoraAttacher
{
    /// <summary>Attaches one adapter per selected projection and returns them by module name (sorted).</summary>
    /// <param name="root">The component root (for the LLM, names look like <c>model.layers.0.self_attn.q_proj</c>).</param>
    /// <param name="component">The component name, for messages.</param>
    /// <param name="config">What to attach where.</param>
    /// <param name="adapterName">The adapter's name on each projection (PEFT's "default").</param>
    /// <param name="seed">Seed of the initialisation (modules are initialised in name order).</param>
    /// <param name="dtype">Adapter dtype; null: each host weight's dtype.</param>
    public static IReadOnlyDictionary<string, ProjectionAdapter> Attach(nn.Module root, string component, LoraConfig config,
        string adapterName = "default", long seed = 0, ScalarType? dtype = null)
    {
        config.Validate(component);
        var targets = TargetResolver.Resolve(root, component, config.Selection()).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        using var generator = new Generator((ulong)seed);
        var attached = new SortedDictionary<string, ProjectionAdapter>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            var weight = target.Host.Weight;
            var adapterDtype = dtype ?? weight.dtype;
            int rank = config.RankFor(target.Name);
            double scale = config.ScaleFor(target.Name);
            ProjectionAdapter adapter = target.Host switch
            {
                AdaptableEmbedding e => config.UseDora
                    ? throw new ArgumentException($"{component}: DoRA on the embedding '{target.Name}' is not supported; exclude it or disable use_dora.")
                    : new LoraEmbedding(e.VocabularySize, e.HiddenSize, rank, scale, config.Init, adapterDtype, weight.device, generator),
                AdaptableLinear l => new LoraLinear(l.InFeatures, l.OutFeatures, rank, scale, config.Dropout, config.UseDora, config.Init,
                    adapterDtype, weight.device, generator),
                _ => throw new ArgumentException($"{component}: '{target.Name}' is not an adaptable projection."),
            };
            Adapters(target.Host).Add(adapterName, adapter);
            attached[target.Name] = adapter;
        }
        return attached;
    }

    /// <summary>The adapter set of a host projection.</summary>
    public static AdapterSet Adapters(IAdapterHost host) => host switch
    {
        AdaptableLinear l => l.Adapters,
        AdaptableEmbedding e => e.Adapters,
        _ => throw new ArgumentException($"{host.GetType().Name} has no adapter set."),
    };
}
