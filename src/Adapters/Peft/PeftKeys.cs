using System.Text.RegularExpressions;

namespace MMAdapt.Adapters.Peft;

/// <summary>
/// Maps MMAdapt's adapter keys to PEFT's saved names and back:
/// <c>model.layers.0.self_attn.q_proj.adapters.default.lora_A.weight</c> ↔
/// <c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c> (the adapter name stripped, as PEFT saves).
/// </summary>
public static partial class PeftKeys
{
    /// <summary>PEFT's prefix for the wrapped model.</summary>
    public const string Prefix = "base_model.model.";

    /// <summary>The PEFT name of an MMAdapt adapter parameter of adapter <paramref name="adapterName"/>, or null when
    /// the key belongs to another adapter or is not an adapter parameter.</summary>
    public static string? ToPeft(string key, string adapterName)
    {
        var marker = $".adapters.{adapterName}.";
        int at = key.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
            return null;
        return Prefix + key[..at] + "." + key[(at + marker.Length)..];
    }

    /// <summary>The MMAdapt key of a PEFT adapter tensor name, or null when it is no LoRA-family tensor.</summary>
    public static string? FromPeft(string name, string adapterName)
    {
        if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            return null;
        var path = name[Prefix.Length..];
        var match = AdapterParameter().Match(path);
        if (!match.Success)
            return null;
        return $"{match.Groups["module"].Value}.adapters.{adapterName}.{match.Groups["param"].Value}";
    }

    // module path, then a LoRA-family parameter (optionally with PEFT's adapter name still in it)
    [GeneratedRegex(@"^(?<module>.+?)\.(?<param>lora_A\.weight|lora_B\.weight|lora_magnitude_vector|lora_embedding_A|lora_embedding_B|ia3_l)$")]
    private static partial Regex AdapterParameter();
}
