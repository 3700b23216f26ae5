using System.Globalization;
using System.Text.RegularExpressions;
using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Targeting;

/// <summary>One projection chosen for an adapter.</summary>
/// <param name="Name">Full module name relative to the component root.</param>
/// <param name="Host">The projection (an <see cref="AdaptableLinear"/> or <see cref="AdaptableEmbedding"/>).</param>
/// <param name="Layer">Its layer index, when its name has one.</param>
public sealed record ResolvedTarget(string Name, IAdapterHost Host, int? Layer);

/// <summary>Finds the projections a <see cref="TargetSelection"/> names, as PEFT's <c>check_target_module_exists</c> does.</summary>
public static class TargetResolver
{
    private static readonly string[] DefaultLayerPatterns = ["layers", "h", "block", "blocks", "layer"];

    /// <summary>Every adaptable projection of a component, by full name.</summary>
    public static IReadOnlyList<(string Name, IAdapterHost Host)> Adaptable(nn.Module root) =>
        root.named_modules().Where(m => m.module is IAdapterHost).Select(m => (m.name, (IAdapterHost)m.module)).ToList();

    /// <summary>The layer index in a module name (<c>model.layers.3.mlp</c> → 3), or null.</summary>
    public static int? LayerIndex(string name, IReadOnlyList<string>? patterns = null)
    {
        foreach (var pattern in patterns ?? DefaultLayerPatterns)
        {
            var match = Regex.Match(name, $@"^.*\.{Regex.Escape(pattern)}\.(\d+)(\.|$)");
            if (!match.Success)
                match = Regex.Match(name, $@"^{Regex.Escape(pattern)}\.(\d+)(\.|$)");
            if (match.Success)
                return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return null;
    }

    /// <summary>Resolves a selection in <paramref name="root"/>.</summary>
    /// <param name="root">The component's root module.</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <param name="selection">What to select.</param>
    /// <exception cref="ArgumentException">A target name matches nothing (the message lists the names that exist),
    /// or the selection leaves nothing.</exception>
    public static IReadOnlyList<ResolvedTarget> Resolve(nn.Module root, string component, TargetSelection selection)
    {
        var all = Adaptable(root);
        var selector = selection.Targets;
        var chosen = new List<ResolvedTarget>();
        foreach (var (name, host) in all)
        {
            bool selected = selector.AllLinear ? !host.IsEmbedding && !IsOutputLayer(name) : selector.Matches(name);
            if (!selected || selection.Exclude?.Matches(name) == true)
                continue;
            var layer = LayerIndex(name, selection.LayersPattern);
            if (selection.LayersToTransform is { } layers && (layer is null || !layers.Contains(layer.Value)))
                continue;
            chosen.Add(new ResolvedTarget(name, host, layer));
        }
        if (selector.Names is { } names)
            foreach (var target in names)
                if (!all.Any(m => m.Name == target || m.Name.EndsWith("." + target, StringComparison.Ordinal)))
                    throw new ArgumentException($"{component}: target '{target}' matches no adaptable module; {Describe(all)}.");
        if (chosen.Count == 0)
            throw new ArgumentException($"{component}: target {selector} selects no adaptable module" +
                                        (selection.LayersToTransform is null ? "" : $" in layers [{string.Join(", ", selection.LayersToTransform)}]") +
                                        $"; {Describe(all)}.");
        return chosen;
    }

    /// <summary>The modules each entry names, as PEFT's <c>modules_to_save</c> does: the module whose full name equals the
    /// entry or ends with <c>.entry</c>.</summary>
    /// <param name="root">The component's root module.</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <param name="names">The entries.</param>
    /// <exception cref="ArgumentException">An entry matches no module; the message names it.</exception>
    public static IReadOnlyList<(string Name, nn.Module Module)> ModulesNamed(nn.Module root, string component, IEnumerable<string> names)
    {
        var modules = root.named_modules().ToList();
        var found = new List<(string, nn.Module)>();
        foreach (var wanted in names)
        {
            var matches = modules.Where(m => m.name == wanted || m.name.EndsWith("." + wanted, StringComparison.Ordinal)).ToList();
            if (matches.Count == 0)
                throw new ArgumentException($"{component}: modules_to_save entry '{wanted}' matches no module.");
            found.AddRange(matches.Select(m => (m.name, m.module)));
        }
        return found;
    }

    /// <summary>True for a component's output layer, which all-linear leaves out (PEFT does the same).</summary>
    public static bool IsOutputLayer(string name) =>
        name is "lm_head" or "classifier.dense" or "score" || name.EndsWith(".lm_head", StringComparison.Ordinal);

    // "names that exist: q_proj, k_proj (e.g. model.layers.0.self_attn.q_proj), ..."
    private static string Describe(IReadOnlyList<(string Name, IAdapterHost Host)> all)
    {
        if (all.Count == 0)
            return "the component has no adaptable modules";
        var shortNames = all.Select(m => m.Name.Split('.')[^1]).Distinct().Order(StringComparer.Ordinal).ToList();
        var example = all.FirstOrDefault(m => LayerIndex(m.Name) is not null).Name ?? all[0].Name;
        return $"names that exist: {string.Join(", ", shortNames)} (e.g. {example})";
    }
}
