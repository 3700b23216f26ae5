using System.Text;
using MMAdapt.Models.Tokenization;

namespace MMAdapt.Tests.Models.Tokenization;

/// <summary>
/// Writes a Hugging Face tokenizer.json for OpenAI's cl100k_base the way tiktoken→tokenizer.json converters do:
/// the ranks as vocabulary (token bytes through GPT-2's byte-to-unicode table), one merge per multi-byte token —
/// the two parts tiktoken's own BPE reaches just below that token's rank — ordered by the token's rank, the
/// cl100k regex as a Split pre-tokenizer followed by ByteLevel without regex, the special tokens as added tokens,
/// and <c>ignore_merges</c> (a pre-token that is a whole token is taken as is, like tiktoken and Llama 3).
/// The byte table and the merge derivation are written here independently of the code under test; the JSON
/// layout comes from the project's writer.
/// </summary>
internal static class Cl100kTokenizerJson
{
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static readonly (string Content, int Id)[] Specials =
    [
        ("<|endoftext|>", 100257), ("<|fim_prefix|>", 100258), ("<|fim_middle|>", 100259), ("<|fim_suffix|>", 100260), ("<|endofprompt|>", 100276),
    ];

    /// <summary>Writes the file; returns how many multi-byte tokens got no merge (tiktoken's BPE cannot build them).</summary>
    public static int Write(string path)
    {
        var ranks = TiktokenCatalog.LoadRanks("cl100k_base");
        var rankOf = ranks.ToDictionary(r => Latin1(r.Bytes), r => r.Rank, StringComparer.Ordinal);
        var table = ByteToUnicode();
        string Token(string latin1) => string.Concat(latin1.Select(c => table[c]));

        var merges = new List<(string Left, string Right)>();
        var unreachable = 0;
        foreach (var (bytes, rank) in ranks.OrderBy(r => r.Rank))
        {
            if (bytes.Length < 2)
            {
                continue;
            }

            var parts = TiktokenBpe(Latin1(bytes), rankOf, maxRank: rank);
            if (parts.Count == 2)
            {
                merges.Add((Token(parts[0]), Token(parts[1])));
            }
            else
            {
                unreachable++;
            }
        }

        File.WriteAllText(path, TokenizerJsonWriter.Write(
            Specials,
            Pattern,
            ranks.Select(r => (Token(Latin1(r.Bytes)), r.Rank)),
            merges,
            ignoreMerges: true,
            mergesAsPairs: false, // the older "a b" form; the trainer's files cover ["a", "b"]
            indented: false));
        return unreachable;
    }

    // tiktoken's byte-pair merge, stopped before merges of rank >= maxRank: repeatedly join the adjacent pair
    // whose concatenation has the lowest rank (leftmost on ties).
    private static List<string> TiktokenBpe(string token, Dictionary<string, int> ranks, int maxRank)
    {
        var parts = token.Select(c => c.ToString()).ToList();
        while (true)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            for (var i = 0; i + 1 < parts.Count; i++)
            {
                if (ranks.TryGetValue(parts[i] + parts[i + 1], out var rank) && rank < bestRank && rank < maxRank)
                {
                    best = i;
                    bestRank = rank;
                }
            }

            if (best < 0)
            {
                return parts;
            }

            parts[best] += parts[best + 1];
            parts.RemoveAt(best + 1);
        }
    }

    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    // GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 upwards in byte order.
    private static Dictionary<char, char> ByteToUnicode()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 0xAC - 0xA1 + 1)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToHashSet();
        var table = new Dictionary<char, char>();
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            table[(char)b] = printable.Contains(b) ? (char)b : (char)next++;
        }

        return table;
    }
}
