using System.Text;
using Microsoft.ML.Tokenizers;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// Hugging Face <c>normalizer</c> steps as a Microsoft.ML.Tokenizers <see cref="Normalizer"/>: Unicode forms
/// (<c>NFC</c>, as Qwen2 uses; <c>NFD</c>, <c>NFKC</c>, <c>NFKD</c>), <c>Lowercase</c>, <c>Prepend</c>,
/// <c>Replace</c> with a string pattern, and a <c>Sequence</c> of these, applied in order.
/// </summary>
internal sealed class HfNormalizer : Normalizer
{
    private readonly IReadOnlyList<Func<string, string>> _steps;

    private HfNormalizer(IReadOnlyList<Func<string, string>> steps) => _steps = steps;

    /// <summary>
    /// Reads the <c>normalizer</c> object of a tokenizer.json; null when there is nothing to do.
    /// An unsupported type fails naming the file, the key and the supported types.
    /// </summary>
    public static HfNormalizer? FromJson(JsonCursor? normalizer)
    {
        if (normalizer is null)
        {
            return null;
        }

        var steps = new List<Func<string, string>>();
        AddSteps(normalizer.Value, steps);
        return steps.Count == 0 ? null : new HfNormalizer(steps);
    }

    /// <inheritdoc />
    public override string Normalize(string original)
    {
        var text = original;
        foreach (var step in _steps)
        {
            text = step(text);
        }

        return text;
    }

    /// <inheritdoc />
    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

    private static void AddSteps(JsonCursor node, List<Func<string, string>> steps)
    {
        var type = node.Required("type").String();
        switch (type)
        {
            case "Sequence":
                foreach (var child in node.Required("normalizers").Items())
                {
                    AddSteps(child, steps);
                }

                break;
            case "NFC": steps.Add(s => s.Normalize(NormalizationForm.FormC)); break;
            case "NFD": steps.Add(s => s.Normalize(NormalizationForm.FormD)); break;
            case "NFKC": steps.Add(s => s.Normalize(NormalizationForm.FormKC)); break;
            case "NFKD": steps.Add(s => s.Normalize(NormalizationForm.FormKD)); break;
            case "Lowercase": steps.Add(s => s.ToLowerInvariant()); break;
            case "Prepend":
                var prefix = node.Required("prepend").String();
                steps.Add(s => s.Length == 0 ? s : prefix + s);
                break;
            case "Replace":
                var pattern = node.Required("pattern").Optional("String")
                    ?? throw node.Required("pattern").Error("must be {\"String\": ...}; regex replacement is not supported");
                var from = pattern.String();
                var to = node.Required("content").String();
                steps.Add(s => s.Replace(from, to, StringComparison.Ordinal));
                break;
            default:
                throw node.Required("type").Error(
                    $"names normalizer '{type}', which is not supported (supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace)");
        }
    }
}
