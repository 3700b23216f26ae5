using System.Text;
using Microsoft.ML.Tokenizers;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// Byte-level BPE (GPT-2, Llama 3, Qwen2 style) on Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with
/// <c>ByteLevel = true</c>, which maps each pre-token's UTF-8 bytes through GPT-2's alphabet and applies the
/// merges by rank (lowest first, leftmost on ties) as Hugging Face's BPE does.
/// </summary>
/// <remarks>
/// What <see cref="BpeOptions"/> 2.0.1 cannot express is done here around it: Hugging Face's added-token
/// matching and Split steps (<see cref="HfPreTokenizer"/>), Unicode normalisation (<see cref="HfNormalizer"/>),
/// <c>ignore_merges</c> (a pre-token that is itself in the vocabulary is emitted whole, as tiktoken and Llama 3
/// do; BpeTokenizer would run the merges), ByteLevel's <c>add_prefix_space</c>, and decoding (BpeTokenizer's
/// byte-level decoder pushes added tokens' text through the byte alphabet too). <see cref="Inner"/> carries the
/// pre-tokenizer, normaliser and added tokens, so it encodes like this model except for <c>ignore_merges</c>
/// and <c>add_prefix_space</c>.
/// </remarks>
internal sealed class ByteLevelBpeModel : TokenizerModel
{
    private readonly BpeTokenizer _bpe;
    private readonly IReadOnlyDictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _reverse;
    private readonly HfPreTokenizer _preTokenizer;
    private readonly Normalizer? _normalizer;
    private readonly bool _ignoreMerges;
    private readonly bool _addPrefixSpace;

    /// <summary>Builds the model.</summary>
    /// <param name="bpe">The configured BPE tokenizer (byte-level, with pre-tokenizer and normaliser).</param>
    /// <param name="vocab">Vocabulary in byte-level form.</param>
    /// <param name="preTokenizer">The pre-tokenizer also given to <paramref name="bpe"/>.</param>
    /// <param name="normalizer">The normaliser also given to <paramref name="bpe"/>, or null.</param>
    /// <param name="ignoreMerges">HF <c>model.ignore_merges</c>.</param>
    /// <param name="addPrefixSpace">HF ByteLevel <c>add_prefix_space</c>.</param>
    public ByteLevelBpeModel(
        BpeTokenizer bpe,
        IReadOnlyDictionary<string, int> vocab,
        HfPreTokenizer preTokenizer,
        Normalizer? normalizer,
        bool ignoreMerges,
        bool addPrefixSpace)
    {
        _bpe = bpe;
        _vocab = vocab;
        _reverse = vocab.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key);
        _preTokenizer = preTokenizer;
        _normalizer = normalizer;
        _ignoreMerges = ignoreMerges;
        _addPrefixSpace = addPrefixSpace;
    }

    /// <inheritdoc />
    public override Tokenizer Inner => _bpe;

    /// <summary>The file's <c>added_tokens</c>.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; init; } = [];

    /// <summary>The token the file's post-processor puts before a sequence, if any.</summary>
    public string? PostProcessorBos { get; init; }

    /// <summary>The token the file's post-processor puts after a sequence, if any.</summary>
    public string? PostProcessorEos { get; init; }

    /// <inheritdoc />
    public override IEnumerable<AddedToken> BuiltInAddedTokens => AddedTokens;

    /// <inheritdoc />
    public override string? DefaultBosToken => PostProcessorBos;

    /// <inheritdoc />
    public override string? DefaultEosToken => PostProcessorEos;

    /// <inheritdoc />
    public override bool DefaultAddBos => PostProcessorBos is not null;

    /// <inheritdoc />
    public override bool DefaultAddEos => PostProcessorEos is not null;

    /// <inheritdoc />
    public override int Count => _reverse.Count;

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, int>> Vocabulary => _vocab;

    /// <inheritdoc />
    public override void Encode(string text, bool continuation, List<int> ids)
    {
        var normalized = _normalizer?.Normalize(text) ?? text;
        if (_addPrefixSpace && !continuation && !normalized.StartsWith(' '))
        {
            normalized = " " + normalized;
        }

        foreach (var (offset, length) in _preTokenizer.SplitOrdinary(normalized))
        {
            var piece = normalized.Substring(offset, length);
            if (_ignoreMerges && _vocab.TryGetValue(ByteLevelAlphabet.FromText(piece), out var whole))
            {
                ids.Add(whole);
                continue;
            }

            ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
        }
    }

    /// <inheritdoc />
    public override string Decode(IReadOnlyList<int> ids, bool atStart)
    {
        var bytes = new List<byte>(ids.Count * 4);
        foreach (var id in ids)
        {
            ByteLevelAlphabet.AppendBytes(_reverse[id], bytes);
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <inheritdoc />
    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : null;

    /// <inheritdoc />
    public override string? IdToToken(int id) => _reverse.TryGetValue(id, out var token) ? token : null;
}
