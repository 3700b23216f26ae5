using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Ia3;

/// <summary>Attaches IA3 vectors to a component's linear projections as an <see cref="Ia3Config"/> says.</summary>
public static class Ia3Attacher
{
    /// <summary>Attaches one <see cref="Ia3Adapter"/> per selected projection and returns them by module name (sorted).</summary>
    /// <param name="root">The component root.</param>
    /// <param name="component">The component name, for messages.</param>
    /// <param name="config">What to attach where, and which targets are feed-forward.</param>
    /// <param name="adapterName">The adapter's name on each projection (PEFT's "default").</param>
    /// <param name="seed">Seed of the random initialisation (only with <c>init_ia3_weights: false</c>).</param>
    /// <param name="dtype">Adapter dtype; null: float32 on half-precision hosts, else the host weight's (see <see cref="AdapterAttacher.AdapterDtype"/>).</param>
    /// <exception cref="InvalidDataException">The config is invalid (the message names the key).</exception>
    /// <exception cref="ArgumentException">A target matches nothing or is an embedding; nothing stays attached.</exception>
    public static IReadOnlyDictionary<string, ProjectionAdapter> Attach(nn.Module root, string component, Ia3Config config,
        string adapterName = "default", long seed = 0, ScalarType? dtype = null)
    {
        config.Validate(component);
        using var generator = new Generator((ulong)seed);
        return AdapterAttacher.Attach(root, component, config.Selection(), adapterName, target => target.Host switch
        {
            AdaptableLinear l => new Ia3Adapter(l.InFeatures, l.OutFeatures, config.IsFeedForward(target.Name), AdapterAttacher.AdapterDtype(l.Weight, dtype),
                l.Weight.device, randomInit: !config.InitIa3Weights, generator),
            _ => throw new ArgumentException($"{component}: IA3 attaches to linear projections; '{target.Name}' is not one ({target.Host.GetType().Name}). " +
                                             "Exclude it (exclude_modules) or name linear projections only."),
        });
    }
}
