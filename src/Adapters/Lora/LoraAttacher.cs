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
    /// <param name="dtype">Adapter dtype; null: float32 on half-precision hosts, else the host weight's (see <see cref="AdapterAttacher.AdapterDtype"/>).</param>
    /// <exception cref="InvalidDataException">The config is invalid (the message names the key).</exception>
    /// <exception cref="ArgumentException">A target matches nothing, or DoRA is asked for on an embedding; nothing stays attached.</exception>
    public static IReadOnlyDictionary<string, ProjectionAdapter> Attach(nn.Module root, string component, LoraConfig config,
        string adapterName = "default", long seed = 0, ScalarType? dtype = null)
    {
        config.Validate(component);
        using var generator = new Generator((ulong)seed);
        return AdapterAttacher.Attach(root, component, config.Selection(), adapterName, target =>
        {
            var weight = target.Host.Weight;
            var adapterDtype = AdapterAttacher.AdapterDtype(weight, dtype);
            int rank = config.RankFor(target.Name);
            double scale = config.ScaleFor(target.Name);
            return target.Host switch
            {
                AdaptableEmbedding e => config.UseDora
                    ? throw new ArgumentException($"{component}: DoRA on the embedding '{target.Name}' is not supported; exclude it or disable use_dora.")
                    : new LoraEmbedding(e.VocabularySize, e.HiddenSize, rank, scale, config.Init, adapterDtype, weight.device, generator),
                AdaptableLinear l => new LoraLinear(l.InFeatures, l.OutFeatures, rank, scale, config.Dropout, config.UseDora, config.Init,
                    adapterDtype, weight.device, generator),
                _ => throw new ArgumentException($"{component}: '{target.Name}' ({target.Host.GetType().Name}) is not supported by LoRA; " +
                                                 "supported: AdaptableLinear, AdaptableEmbedding."),
            };
        });
    }
}
