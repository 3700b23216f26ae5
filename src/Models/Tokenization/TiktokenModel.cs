using Microsoft.ML.Tokenizers;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// An OpenAI tiktoken encoding (cl100k_base, o200k_base) through Microsoft.ML.Tokenizers'
/// <see cref="TiktokenTokenizer"/> and its data packages. Token strings (for <see cref="TokenToId"/> and
/// <see cref="IdToToken"/>) are the tokens' bytes in GPT-2's byte-level alphabet, as in tokenizer.json files
/// converted from tiktoken.
/// </summary>
internal sealed class TiktokenModel : TokenizerModel
{
    private readonly TiktokenTokenizer _inner;
    private readonly string _encoding;
    private readonly Lazy<(Dictionary<string, int> Ids, Dictionary<int, string> Tokens)> _table;

    /// <summary>Creates the model for a model or encoding name (see <see cref="TiktokenCatalog"/>).</summary>
    public TiktokenModel(string modelOrEncoding)
    {
        _encoding = TiktokenCatalog.ResolveEncoding(modelOrEncoding);
        _inner = TiktokenTokenizer.CreateForEncoding(_encoding);
        _table = new Lazy<(Dictionary<string, int>, Dictionary<int, string>)>(BuildTable);
    }

    /// <inheritdoc />
    public override Tokenizer Inner => _inner;

    /// <inheritdoc />
    public override IEnumerable<AddedToken> BuiltInAddedTokens =>
        TiktokenCatalog.SpecialTokens(_encoding).Select(kv => new AddedToken(kv.Value, kv.Key, Special: true));

    /// <inheritdoc />
    public override string? DefaultEosToken => "<|endoftext|>";

    /// <inheritdoc />
    public override int Count => _table.Value.Tokens.Count;

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, int>> Vocabulary => _table.Value.Ids;

    /// <inheritdoc />
    public override void Encode(string text, bool continuation, List<int> ids) => ids.AddRange(_inner.EncodeToIds(text));

    /// <inheritdoc />
    public override string Decode(IReadOnlyList<int> ids, bool atStart) => _inner.Decode(ids);

    /// <inheritdoc />
    public override int? TokenToId(string token) => _table.Value.Ids.TryGetValue(token, out var id) ? id : null;

    /// <inheritdoc />
    public override string? IdToToken(int id) => _table.Value.Tokens.TryGetValue(id, out var token) ? token : null;

    private (Dictionary<string, int>, Dictionary<int, string>) BuildTable()
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokens = new Dictionary<int, string>();
        foreach (var (bytes, rank) in TiktokenCatalog.LoadRanks(_encoding))
        {
            var token = ByteLevelAlphabet.FromBytes(bytes);
            ids[token] = rank;
            tokens[rank] = token;
        }

        return (ids, tokens);
    }
}
