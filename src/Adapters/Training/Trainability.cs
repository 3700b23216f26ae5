using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Training;

/// <summary>
/// Sets which parameters train: everything frozen, then the adapters (every parameter under an
/// <c>.adapters.</c> set of an adaptable projection) and any modules named to train in full
/// (<c>modules_to_save</c>).
/// </summary>
public static class Trainability
{
    /// <summary>Marks every parameter of <paramref name="root"/> frozen.</summary>
    public static void FreezeAll(nn.Module root)
    {
        foreach (var p in root.parameters())
            p.requires_grad = false;
    }

    /// <summary>Makes every adapter parameter of <paramref name="root"/> trainable; returns how many tensors.</summary>
    public static int UnfreezeAdapters(nn.Module root)
    {
        int count = 0;
        foreach (var (name, p) in root.named_parameters())
            if (IsAdapterParameter(name))
            {
                p.requires_grad = true;
                count++;
            }
        return count;
    }

    /// <summary>Makes the named modules (exact name or dotted suffix, as PEFT's modules_to_save) fully trainable.</summary>
    /// <exception cref="ArgumentException">A name matches no module; the message names it.</exception>
    public static void UnfreezeModules(nn.Module root, string component, IEnumerable<string> moduleNames)
    {
        foreach (var (_, module) in TargetResolver.ModulesNamed(root, component, moduleNames))
            foreach (var p in module.parameters())
                p.requires_grad = true;
    }

    /// <summary>True for the parameters of attached adapters: projection adapters (<c>….adapters.&lt;name&gt;.…</c>) and
    /// sublayer adapters (<c>….attention_site.&lt;name&gt;.…</c>, <c>….mlp_site.&lt;name&gt;.…</c>).</summary>
    public static bool IsAdapterParameter(string name) =>
        AdapterSegments.Any(segment => name.StartsWith(segment, StringComparison.Ordinal) || name.Contains("." + segment, StringComparison.Ordinal));

    private static readonly string[] AdapterSegments = ["adapters.", "attention_site.", "mlp_site."];

    /// <summary>Trainable and total parameter counts of each component (a tied weight counted once).</summary>
    public static TrainableParameterReport Report(IEnumerable<(string Component, nn.Module Root)> components) =>
        new(components.Select(c =>
        {
            var unique = ModuleParameters.Unique(c.Root);
            return new ComponentParameterCount(c.Component, unique.Where(p => p.requires_grad).Sum(p => p.numel()), unique.Sum(p => p.numel()));
        }).ToList());
}
