using System.IO.Compression;
using System.Reflection;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// The tiktoken encodings MMAdapt ships through the Microsoft.ML.Tokenizers data packages, the model names
/// that map to them, and a reader for their rank tables (embedded in the data assemblies as
/// <c>&lt;encoding&gt;.tiktoken.deflate</c>: a <c>Capacity: N</c> line, then one base64 token per line, with
/// its rank after a space or, when absent, its line number as the rank).
/// </summary>
internal static class TiktokenCatalog
{
    private static readonly Dictionary<string, string> DataAssemblies = new(StringComparer.OrdinalIgnoreCase)
    {
        ["cl100k_base"] = "Microsoft.ML.Tokenizers.Data.Cl100kBase",
        ["o200k_base"] = "Microsoft.ML.Tokenizers.Data.O200kBase",
    };

    private static readonly Dictionary<string, string> Models = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4"] = "cl100k_base",
        ["gpt-4-32k"] = "cl100k_base",
        ["gpt-4-turbo"] = "cl100k_base",
        ["gpt-3.5-turbo"] = "cl100k_base",
        ["gpt-3.5-turbo-16k"] = "cl100k_base",
        ["gpt-35-turbo"] = "cl100k_base",
        ["text-embedding-ada-002"] = "cl100k_base",
        ["text-embedding-3-small"] = "cl100k_base",
        ["text-embedding-3-large"] = "cl100k_base",
        ["gpt-4o"] = "o200k_base",
        ["gpt-4o-mini"] = "o200k_base",
        ["gpt-4.1"] = "o200k_base",
        ["o1"] = "o200k_base",
        ["o3"] = "o200k_base",
    };

    // Dated snapshots ("gpt-4o-2024-05-13", "gpt-4-0613") resolve by prefix, longest first.
    private static readonly (string Prefix, string Encoding)[] Prefixes =
    [
        ("gpt-4o-", "o200k_base"), ("gpt-4.1-", "o200k_base"), ("o1-", "o200k_base"), ("o3-", "o200k_base"),
        ("gpt-4-", "cl100k_base"), ("gpt-3.5-turbo-", "cl100k_base"), ("gpt-35-turbo-", "cl100k_base"),
    ];

    /// <summary>The encoding names and model names accepted, for error messages.</summary>
    public static IEnumerable<string> KnownNames => DataAssemblies.Keys.Concat(Models.Keys).Concat(Prefixes.Select(p => p.Prefix + "*"));

    /// <summary>The special tokens of an encoding, as tiktoken defines them.</summary>
    public static IReadOnlyDictionary<string, int> SpecialTokens(string encoding) =>
        encoding.Equals("o200k_base", StringComparison.OrdinalIgnoreCase)
            ? new Dictionary<string, int> { ["<|endoftext|>"] = 199999, ["<|endofprompt|>"] = 200018 }
            : new Dictionary<string, int>
            {
                ["<|endoftext|>"] = 100257, ["<|fim_prefix|>"] = 100258, ["<|fim_middle|>"] = 100259,
                ["<|fim_suffix|>"] = 100260, ["<|endofprompt|>"] = 100276,
            };

    /// <summary>Resolves a model or encoding name to an encoding name; unknown names fail listing the known ones.</summary>
    public static string ResolveEncoding(string modelOrEncoding)
    {
        ArgumentNullException.ThrowIfNull(modelOrEncoding);
        var name = modelOrEncoding.Trim();
        if (DataAssemblies.ContainsKey(name))
        {
            return name.ToLowerInvariant();
        }

        if (Models.TryGetValue(name, out var encoding))
        {
            return encoding;
        }

        foreach (var (prefix, prefixEncoding) in Prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return prefixEncoding;
            }
        }

        throw new ArgumentException(
            $"Unknown tiktoken model or encoding '{modelOrEncoding}'. Known: {string.Join(", ", KnownNames)}.",
            nameof(modelOrEncoding));
    }

    /// <summary>The rank table of an encoding: token bytes in rank order, paired with their rank.</summary>
    public static IReadOnlyList<(byte[] Bytes, int Rank)> LoadRanks(string encoding)
    {
        var assemblyName = DataAssemblies[ResolveEncoding(encoding)];
        var resource = $"{encoding.ToLowerInvariant()}.tiktoken.deflate";
        using var stream = Assembly.Load(assemblyName).GetManifestResourceStream(resource)
            ?? throw new InvalidDataException($"{assemblyName}: embedded resource '{resource}' not found.");
        using var inflated = new DeflateStream(stream, CompressionMode.Decompress);
        using var reader = new StreamReader(inflated);

        var ranks = new List<(byte[], int)>(capacity: 200_000);
        var lineNumber = 0;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            if (line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.Length > 0)
            {
                var space = line.IndexOf(' ');
                var rank = space < 0 ? lineNumber : int.Parse(line.AsSpan(space + 1), System.Globalization.CultureInfo.InvariantCulture);
                ranks.Add((Convert.FromBase64String(space < 0 ? line : line[..space]), rank));
            }

            lineNumber++;
        }

        return ranks;
    }
}
