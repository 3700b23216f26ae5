using System.Text.RegularExpressions;
using MMAdapt.Adapters.Training;
using MMAdapt.Core.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Training;

/// <summary>One trainable parameter, named <c>&lt;component&gt;.&lt;state_dict key&gt;</c>.</summary>
public sealed record TrainableParameter(string Name, string Component, Parameter Parameter);

/// <summary>
/// Chooses what a stage trains from the model's components: whole components (<c>connector:image</c>, <c>llm</c>),
/// adapters by name (<c>adapter:moe</c>: every parameter of attached adapters called <c>moe</c>), or globs over
/// qualified parameter names (<c>*</c> matches any run of characters).
/// </summary>
public static class ParameterSelection
{
    /// <summary>Every parameter of the components, each once, qualified by its component.</summary>
    public static IReadOnlyList<TrainableParameter> All(IReadOnlyList<(string Component, nn.Module Root)> components) =>
        components.SelectMany(c => ModuleParameters.UniqueNamed(c.Root).Select(p => new TrainableParameter($"{c.Component}.{p.Name}", c.Component, p.Parameter))).ToList();

    /// <summary>The parameters <paramref name="selectors"/> name.</summary>
    /// <exception cref="ArgumentException">A selector matches nothing (the message lists the components and adapters), or
    /// the selection is empty.</exception>
    public static IReadOnlyList<TrainableParameter> Select(IReadOnlyList<(string Component, nn.Module Root)> components, IReadOnlyList<string> selectors, string stage)
    {
        var all = All(components);
        var chosen = new List<TrainableParameter>();
        foreach (var selector in selectors)
        {
            var matched = all.Where(p => Matches(p, selector)).ToList();
            if (matched.Count == 0)
                throw new ArgumentException($"stage '{stage}': '{selector}' matches no parameter; components: {string.Join(", ", components.Select(c => c.Component))}; " +
                                            $"adapters: {string.Join(", ", AdapterNames(all).DefaultIfEmpty("none"))}.");
            chosen.AddRange(matched.Where(m => !chosen.Contains(m)));
        }
        if (chosen.Count == 0)
            throw new ArgumentException($"stage '{stage}' trains nothing: list components, adapters or parameter globs under 'train'.");
        return chosen;
    }

    /// <summary>Freezes everything, then makes the chosen parameters trainable.</summary>
    public static void Apply(IReadOnlyList<(string Component, nn.Module Root)> components, IReadOnlyList<TrainableParameter> chosen)
    {
        foreach (var (_, root) in components)
            Trainability.FreezeAll(root);
        foreach (var p in chosen)
            p.Parameter.requires_grad = true;
    }

    private static bool Matches(TrainableParameter p, string selector)
    {
        if (selector == p.Component)
            return true;
        if (selector.StartsWith("adapter:", StringComparison.Ordinal))
        {
            var name = selector["adapter:".Length..];
            return p.Name.Contains($".adapters.{name}.", StringComparison.Ordinal)
                || p.Name.Contains($".attention_site.{name}.", StringComparison.Ordinal)
                || p.Name.Contains($".mlp_site.{name}.", StringComparison.Ordinal);
        }
        return selector.Contains('*') && Regex.IsMatch(p.Name, "^" + Regex.Escape(selector).Replace("\\*", ".*") + "$");
    }

    /// <summary>The name of the adapter a parameter belongs to (<c>….adapters.NAME.…</c>, <c>….attention_site.NAME.…</c>,
    /// <c>….mlp_site.NAME.…</c>), or null for a component's own weights.</summary>
    public static string? AdapterNameOf(string parameterName) =>
        AdapterPath.Match(parameterName) is { Success: true } m ? m.Groups[1].Value : null;

    private static readonly Regex AdapterPath = new(@"(?:^|\.)(?:adapters|attention_site|mlp_site)\.([^.]+)\.", RegexOptions.Compiled);

    private static IEnumerable<string> AdapterNames(IEnumerable<TrainableParameter> all) =>
        all.Select(p => AdapterNameOf(p.Name)).OfType<string>().Distinct().Order(StringComparer.Ordinal);
}
