using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters;

/// <summary>The attach step every PEFT-style method shares: resolve the targets, build one adapter per target in
/// name order (so seeded initialisation does not depend on module order), add it under one name, all or nothing.</summary>
public static class AdapterAttacher
{
    /// <summary>The dtype of a new adapter on a host weight: the one asked for, else float32 on a float16 or bfloat16 host
    /// (PEFT's <c>autocast_adapter_dtype</c>: half-precision adapter weights train badly), else the host's.</summary>
    public static ScalarType AdapterDtype(Tensor hostWeight, ScalarType? requested) =>
        requested ?? (hostWeight.dtype is ScalarType.BFloat16 or ScalarType.Float16 ? ScalarType.Float32 : hostWeight.dtype);

    /// <summary>Attaches one adapter per selected projection and returns them by module name (sorted).</summary>
    /// <param name="root">The component root (for the LLM, names look like <c>model.layers.0.self_attn.q_proj</c>).</param>
    /// <param name="component">The component name, for messages.</param>
    /// <param name="selection">Which projections.</param>
    /// <param name="adapterName">The adapter's name on each projection (PEFT's "default").</param>
    /// <param name="create">Builds the adapter for one target; throws <see cref="ArgumentException"/> naming the target
    /// when the target's kind is not supported.</param>
    /// <exception cref="ArgumentException">A target is missing or unsupported; nothing stays attached.</exception>
    public static IReadOnlyDictionary<string, ProjectionAdapter> Attach(nn.Module root, string component, TargetSelection selection,
        string adapterName, Func<ResolvedTarget, ProjectionAdapter> create)
    {
        var targets = TargetResolver.Resolve(root, component, selection).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var attached = new SortedDictionary<string, ProjectionAdapter>(StringComparer.Ordinal);
        try
        {
            foreach (var target in targets)
            {
                var adapter = create(target);
                try
                {
                    target.Host.Adapters.Add(adapterName, adapter);
                }
                catch
                {
                    adapter.Dispose();
                    throw;
                }
                attached[target.Name] = adapter;
            }
        }
        catch
        {
            foreach (var target in targets.Where(t => attached.ContainsKey(t.Name)))
                target.Host.Adapters.Remove(adapterName).Dispose();
            throw;
        }
        return attached;
    }
}
