using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// A SentencePiece <c>tokenizer.model</c> (Llama 2, Mistral) encoded by Microsoft.ML.Tokenizers
/// (<see cref="LlamaTokenizer"/> for BPE models, <see cref="SentencePieceTokenizer"/> for unigram ones).
/// </summary>
/// <remarks>
/// Like Hugging Face's Llama tokenizer in its default (<c>legacy</c>) mode, every text run after an added token
/// gets SentencePiece's dummy prefix (a leading <c>▁</c>); a run that continues text encoded just before it
/// does not (<see cref="TokenizerModel.Encode"/>). Decoding maps pieces back (<c>▁</c> to a space, byte pieces
/// <c>&lt;0xNN&gt;</c> to UTF-8) and drops one leading space only at the very start of the output, as HF's
/// <c>Strip</c> decoder does.
/// </remarks>
internal sealed class SentencePieceModel : TokenizerModel
{
    private const char Meta = '\u2581';
    private readonly SentencePieceProto _proto;
    private readonly SentencePieceTokenizer _inner;
    private readonly Dictionary<string, int> _ids;

    private SentencePieceModel(SentencePieceProto proto, SentencePieceTokenizer inner)
    {
        _proto = proto;
        _inner = inner;
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < proto.Pieces.Count; id++)
        {
            _ids.TryAdd(proto.Pieces[id].Piece, id);
        }
    }

    /// <summary>Loads <paramref name="path"/>; <paramref name="extraAddedTokens"/> come from tokenizer_config.json.</summary>
    public static SentencePieceModel Load(string path, IEnumerable<AddedToken> extraAddedTokens)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found.", path);
        }

        var data = File.ReadAllBytes(path);
        var proto = SentencePieceProto.Parse(data, path);
        var specials = PieceAddedTokens(proto).Concat(extraAddedTokens)
            .GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.First().Id);
        try
        {
            using var stream = new MemoryStream(data, writable: false);
            SentencePieceTokenizer inner = proto.ModelType switch
            {
                2 => LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false, specialTokens: specials),
                1 => SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false, specialTokens: specials),
                _ => throw new NotSupportedException(
                    $"{path}: SentencePiece model_type {proto.ModelType} is not supported (supported: 1 unigram, 2 BPE)."),
            };
            return new SentencePieceModel(proto, inner);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{path}: Microsoft.ML.Tokenizers cannot load this SentencePiece model ({e.Message})", e);
        }
    }

    /// <inheritdoc />
    public override Tokenizer Inner => _inner;

    /// <inheritdoc />
    public override IEnumerable<AddedToken> BuiltInAddedTokens => PieceAddedTokens(_proto);

    /// <inheritdoc />
    public override string? DefaultBosToken => PieceOrNull(_proto.BosId);

    /// <inheritdoc />
    public override string? DefaultEosToken => PieceOrNull(_proto.EosId);

    /// <summary>Llama and Mistral tokenizers add BOS unless their configuration says otherwise.</summary>
    public override bool DefaultAddBos => _proto.BosId >= 0;

    /// <summary>The pad piece, when the model defines one.</summary>
    public string? PadToken => PieceOrNull(_proto.PadId);

    /// <inheritdoc />
    public override int Count => _proto.Pieces.Count;

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, int>> Vocabulary => _ids;

    /// <inheritdoc />
    public override void Encode(string text, bool continuation, List<int> ids)
    {
        if (text.Length == 0)
        {
            return;
        }

        if (!continuation)
        {
            ids.AddRange(_inner.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false));
            return;
        }

        // Normalise as usual, then take back the dummy prefix: the text continues earlier text.
        var normalized = _inner.Normalizer?.Normalize(text) ?? text.Replace(' ', Meta);
        if (_proto.AddDummyPrefix && normalized.Length > 0 && normalized[0] == Meta)
        {
            normalized = normalized[1..];
        }

        if (char.IsWhiteSpace(text[0]) && (normalized.Length == 0 || normalized[0] != Meta))
        {
            normalized = Meta + normalized;
        }

        ids.AddRange(_inner.EncodeToIds(normalized, addBeginningOfSentence: false, addEndOfSentence: false, considerNormalization: false));
    }

    /// <inheritdoc />
    public override string Decode(IReadOnlyList<int> ids, bool atStart)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            var (piece, _, type) = _proto.Pieces[id];
            if (type == SentencePieceProto.PieceType.Byte)
            {
                bytes.Add(byte.Parse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                continue;
            }

            Flush(bytes, text);
            text.Append(piece.Replace(Meta, ' '));
        }

        Flush(bytes, text);
        if (atStart && _proto.AddDummyPrefix && text.Length > 0 && text[0] == ' ')
        {
            text.Remove(0, 1);
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public override int? TokenToId(string token) => _ids.TryGetValue(token, out var id) ? id : null;

    /// <inheritdoc />
    public override string? IdToToken(int id) => id >= 0 && id < _proto.Pieces.Count ? _proto.Pieces[id].Piece : null;

    private static IEnumerable<AddedToken> PieceAddedTokens(SentencePieceProto proto) =>
        proto.Pieces
            .Select((p, id) => (p.Piece, p.Type, id))
            .Where(p => p.Type is SentencePieceProto.PieceType.Control or SentencePieceProto.PieceType.Unknown or SentencePieceProto.PieceType.UserDefined)
            .Select(p => new AddedToken(p.id, p.Piece, Special: p.Type != SentencePieceProto.PieceType.UserDefined));

    private static void Flush(List<byte> bytes, StringBuilder text)
    {
        if (bytes.Count > 0)
        {
            text.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
    }

    private string? PieceOrNull(int id) => id >= 0 && id < _proto.Pieces.Count ? _proto.Pieces[id].Piece : null;
}
