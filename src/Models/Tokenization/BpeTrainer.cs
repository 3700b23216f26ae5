using System.Text.Json;
using MMAdapt.Core.IO;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// Trains a small byte-level BPE tokenizer (GPT-2 / Llama 3 style) from a text corpus and writes it as a
/// Hugging Face <c>tokenizer.json</c> that <see cref="TextTokenizer.FromTokenizerJson"/> loads: for the project's
/// own tiny models. Meant for corpora of megabytes, not gigabytes (each merge scans the pair table).
/// </summary>
/// <remarks>
/// Ids: the special tokens first (in the order given), then the 256 byte symbols in byte order, then one id per
/// merge. Text is split by <see cref="PreTokenizerPattern"/>, pre-tokens are counted, and the most frequent
/// adjacent pair is merged until <see cref="VocabSize"/> ids exist or no pair occurs <see cref="MinFrequency"/>
/// times. Ties go to the pair whose left, then right, token string is ordinally smallest, so training is
/// deterministic and the file byte-identical across runs.
/// </remarks>
public sealed class BpeTrainer
{
    /// <summary>Llama 3's (tiktoken cl100k's) pre-tokenizer pattern: contractions, words, 1-3 digit groups, punctuation, whitespace.</summary>
    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Target number of ids, special tokens and the 256 byte symbols included.</summary>
    public int VocabSize { get; init; } = 1024;

    /// <summary>Special tokens, given ids 0, 1, ... in this order.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [];

    /// <summary>A pair must occur at least this often (weighted by pre-token counts) to be merged.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>The Split regex of the pre-tokenizer (written into the file).</summary>
    public string PreTokenizerPattern { get; init; } = Llama3Pattern;

    /// <summary>BOS written to tokenizer_config.json by <see cref="TrainFolder"/> (one of <see cref="SpecialTokens"/>), or null.</summary>
    public string? BosToken { get; init; }

    /// <summary>EOS written to tokenizer_config.json by <see cref="TrainFolder"/> (one of <see cref="SpecialTokens"/>), or null.</summary>
    public string? EosToken { get; init; }

    /// <summary>PAD written to tokenizer_config.json by <see cref="TrainFolder"/> (one of <see cref="SpecialTokens"/>), or null.</summary>
    public string? PadToken { get; init; }

    /// <summary>Trains on <paramref name="corpus"/> and returns the tokenizer.json text.</summary>
    /// <exception cref="ArgumentException">The options contradict each other (the message names the option).</exception>
    public string Train(IEnumerable<string> corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        Validate();
        var (tokens, merges) = Learn(CountPreTokens(corpus));
        return WriteJson(tokens, merges);
    }

    /// <summary>Trains and writes <c>tokenizer.json</c> and <c>tokenizer_config.json</c> into <paramref name="folder"/>.</summary>
    public void TrainFolder(IEnumerable<string> corpus, string folder)
    {
        var json = Train(corpus);
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer.json"), json);
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), WriteConfig());
    }

    private void Validate()
    {
        if (SpecialTokens.Distinct(StringComparer.Ordinal).Count() != SpecialTokens.Count || SpecialTokens.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("SpecialTokens must be distinct and non-empty.", nameof(SpecialTokens));
        }

        if (VocabSize < SpecialTokens.Count + 256)
        {
            throw new ArgumentException($"VocabSize {VocabSize} is below the {SpecialTokens.Count} special tokens plus 256 byte symbols.", nameof(VocabSize));
        }

        foreach (var (name, token) in new[] { ("BosToken", BosToken), ("EosToken", EosToken), ("PadToken", PadToken) })
        {
            if (token is not null && !SpecialTokens.Contains(token))
            {
                throw new ArgumentException($"{name} '{token}' is not one of SpecialTokens.", name);
            }
        }
    }

    // Pre-tokens (in byte-level form) with their counts; special tokens written in the corpus are cut out first.
    private SortedDictionary<string, long> CountPreTokens(IEnumerable<string> corpus)
    {
        var splitter = new AddedTokenSplitter(SpecialTokens.Select((t, i) => new AddedToken(i, t, true)));
        var preTokenizer = new HfPreTokenizer(null, [(HfPreTokenizer.Compile(PreTokenizerPattern), false)]);
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in corpus)
        {
            foreach (var (start, length, token) in splitter.Split(text))
            {
                if (token is not null)
                {
                    continue;
                }

                var run = text.Substring(start, length);
                foreach (var (offset, pieceLength) in preTokenizer.SplitOrdinary(run))
                {
                    var word = ByteLevelAlphabet.FromText(run.Substring(offset, pieceLength));
                    counts[word] = counts.GetValueOrDefault(word) + 1;
                }
            }
        }

        return counts;
    }

    private (List<string> Tokens, List<(string, string)> Merges) Learn(SortedDictionary<string, long> wordCounts)
    {
        var tokens = SpecialTokens.Concat(ByteLevelAlphabet.Characters.Select(c => c.ToString())).ToList();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            ids.TryAdd(tokens[i], i);
        }

        var words = wordCounts.Select(kv => kv.Key.Select(c => ids[c.ToString()]).ToList()).ToList();
        var counts = wordCounts.Values.ToArray();
        var pairs = new Dictionary<(int, int), long>();
        var where = new Dictionary<(int, int), HashSet<int>>();
        for (var w = 0; w < words.Count; w++)
        {
            AddPairs(w, +1);
        }

        var merges = new List<(string, string)>();
        while (tokens.Count < VocabSize && pairs.Count > 0)
        {
            var best = pairs.First();
            foreach (var candidate in pairs)
            {
                if (Better(candidate, best))
                {
                    best = candidate;
                }
            }

            if (best.Value < MinFrequency)
            {
                break;
            }

            var (left, right) = best.Key;
            var merged = tokens[left] + tokens[right];
            if (!ids.TryGetValue(merged, out var mergedId))
            {
                mergedId = tokens.Count;
                tokens.Add(merged);
                ids[merged] = mergedId;
            }

            merges.Add((tokens[left], tokens[right]));
            foreach (var w in where[best.Key].ToList())
            {
                AddPairs(w, -1);
                Merge(words[w], left, right, mergedId);
                AddPairs(w, +1);
            }
        }

        return (tokens, merges);

        bool Better(KeyValuePair<(int, int), long> a, KeyValuePair<(int, int), long> b)
        {
            if (a.Value != b.Value)
            {
                return a.Value > b.Value;
            }

            var byLeft = string.CompareOrdinal(tokens[a.Key.Item1], tokens[b.Key.Item1]);
            return byLeft != 0 ? byLeft < 0 : string.CompareOrdinal(tokens[a.Key.Item2], tokens[b.Key.Item2]) < 0;
        }

        void AddPairs(int w, int sign)
        {
            var word = words[w];
            for (var i = 0; i + 1 < word.Count; i++)
            {
                var pair = (word[i], word[i + 1]);
                var count = pairs.GetValueOrDefault(pair) + sign * counts[w];
                if (count == 0)
                {
                    pairs.Remove(pair);
                    where.Remove(pair);
                    continue;
                }

                pairs[pair] = count;
                if (sign > 0)
                {
                    (where.TryGetValue(pair, out var set) ? set : where[pair] = []).Add(w);
                }
            }
        }
    }

    private static void Merge(List<int> word, int left, int right, int merged)
    {
        for (var i = 0; i + 1 < word.Count; i++)
        {
            if (word[i] == left && word[i + 1] == right)
            {
                word[i] = merged;
                word.RemoveAt(i + 1);
            }
        }
    }

    private string WriteJson(List<string> tokens, List<(string Left, string Right)> merges) =>
        TokenizerJsonWriter.Write(
            SpecialTokens.Select((t, i) => (t, i)),
            PreTokenizerPattern,
            tokens.Select((t, i) => (t, i)),
            merges,
            ignoreMerges: false);

    private string WriteConfig() => TokenizerJsonWriter.WriteObject(json =>
    {
        json.WriteBoolean("add_bos_token", BosToken is not null);
        json.WriteBoolean("add_eos_token", false);
        WriteTokenOrNull(json, "bos_token", BosToken);
        WriteTokenOrNull(json, "eos_token", EosToken);
        WriteTokenOrNull(json, "pad_token", PadToken);
        json.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
    });

    private static void WriteTokenOrNull(Utf8JsonWriter json, string name, string? token)
    {
        if (token is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, token);
        }
    }
}
