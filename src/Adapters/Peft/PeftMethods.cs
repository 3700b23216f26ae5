using MMAdapt.Adapters.Ia3;
using MMAdapt.Adapters.Lora;
using MMAdapt.Core.Configuration;
using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Peft;

/// <summary>The PEFT methods MMAdapt reads and writes, by <c>peft_type</c>: how to read the config and attach the adapter.</summary>
internal static class PeftMethods
{
    internal delegate IReadOnlyDictionary<string, ProjectionAdapter> Attacher(nn.Module root, string component, PeftConfig config,
        string adapterName, ScalarType? dtype);

    internal sealed record Method(string PeftType, Func<string, PeftConfig> Read, Attacher Attach);

    private static readonly Method[] All =
    [
        new("LORA", path => HfConfigReader.Read<LoraConfig>(path),
            (root, component, config, name, dtype) => LoraAttacher.Attach(root, component, (LoraConfig)config, name, dtype: dtype)),
        new("IA3", path => HfConfigReader.Read<Ia3Config>(path),
            (root, component, config, name, dtype) => Ia3Attacher.Attach(root, component, (Ia3Config)config, name, dtype: dtype)),
    ];

    /// <summary>The supported <c>peft_type</c>s.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.PeftType).ToArray();

    /// <summary>The method of a <c>peft_type</c>.</summary>
    /// <exception cref="InvalidDataException">Not supported; the message names the source and lists the supported ones.</exception>
    public static Method Of(string? peftType, string source) =>
        All.FirstOrDefault(m => m.PeftType == peftType)
        ?? throw new InvalidDataException($"{source}: peft_type '{peftType ?? "(missing)"}' is not supported; supported: {string.Join(", ", Names)}.");
}
