using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Core.Modules;

/// <summary>Parameter listings that account for tied weights.</summary>
public static class ModuleParameters
{
    /// <summary>
    /// Each parameter once, in module order: a weight registered under two names (a tied LM head) must not
    /// be counted twice or stepped twice by an optimiser.
    /// </summary>
    public static IReadOnlyList<Parameter> Unique(nn.Module module) =>
        module.parameters().Distinct(ReferenceEqualityComparer.Instance).Cast<Parameter>().ToList();

    /// <summary>Named parameters, each parameter once (the first name wins).</summary>
    public static IReadOnlyList<(string Name, Parameter Parameter)> UniqueNamed(nn.Module module)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        return module.named_parameters().Where(p => seen.Add(p.parameter)).Select(p => (p.name, p.parameter)).ToList();
    }
}
