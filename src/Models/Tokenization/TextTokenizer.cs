using System.Text;
using Microsoft.ML.Tokenizers;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// A text tokenizer loaded from a Hugging Face folder (<c>tokenizer.json</c> byte-level BPE or
/// <c>tokenizer.model</c> SentencePiece, plus <c>tokenizer_config.json</c>) or from a tiktoken encoding, built on
/// Microsoft.ML.Tokenizers (<see cref="Inner"/>).
/// </summary>
/// <remarks>
/// Encoding follows Hugging Face: added tokens written in the text (<c>&lt;|im_start|&gt;</c>, <c>&lt;s&gt;</c>)
/// are cut out first, longest match first, and become their ids; the text between them goes through the
/// model (normaliser, pre-tokenizer, BPE). <c>addSpecialTokens</c> adds BOS/EOS as the configuration's
/// <c>add_bos_token</c>/<c>add_eos_token</c> say (defaults: SentencePiece adds BOS; a tokenizer.json adds what
/// its TemplateProcessing post-processor adds; tiktoken adds nothing). Ids can be encoded piece by piece
/// (<see cref="EncodeContinuation"/>), which chat templates and multimodal prompts rely on.
/// </remarks>
public sealed class TextTokenizer
{
    private readonly TokenizerModel _model;
    private readonly AddedTokenSplitter _splitter;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly Dictionary<string, AddedToken> _addedByContent;

    private TextTokenizer(TokenizerModel model, TokenizerConfig config)
    {
        _model = model;
        _addedById = new Dictionary<int, AddedToken>();
        foreach (var token in model.BuiltInAddedTokens.Concat(config.AddedTokens))
        {
            _addedById[token.Id] = token; // the configuration's view of a token wins over the model's
        }

        _addedByContent = _addedById.Values.GroupBy(t => t.Content, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(t => t.Id).First(), StringComparer.Ordinal);
        _splitter = new AddedTokenSplitter(_addedByContent.Values);
        SpecialTokens = _addedByContent.Values.Where(t => t.Special).ToDictionary(t => t.Content, t => t.Id, StringComparer.Ordinal);

        BosToken = config.BosToken ?? model.DefaultBosToken;
        EosToken = config.EosToken ?? model.DefaultEosToken;
        PadToken = config.PadToken ?? (model as SentencePieceModel)?.PadToken;
        BosTokenId = Resolve(BosToken, "bos_token", config);
        EosTokenId = Resolve(EosToken, "eos_token", config);
        PadTokenId = Resolve(PadToken, "pad_token", config);
        AddBosToken = BosTokenId is not null && (config.AddBosToken ?? model.DefaultAddBos);
        AddEosToken = EosTokenId is not null && (config.AddEosToken ?? model.DefaultAddEos);
        ChatTemplateSource = config.ChatTemplate;
        VocabSize = model.Count + _addedById.Keys.Count(id => model.IdToToken(id) is null);
    }

    /// <summary>
    /// Loads a Hugging Face tokenizer folder: <c>tokenizer.json</c> when it holds a byte-level BPE model, else
    /// <c>tokenizer.model</c> (SentencePiece), with <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>
    /// when present.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">Neither tokenizer file is in the folder (the message names both).</exception>
    /// <exception cref="NotSupportedException">tokenizer.json holds an unsupported model and there is no tokenizer.model.</exception>
    /// <exception cref="InvalidDataException">A file is malformed (the message names the file and the key).</exception>
    public static TextTokenizer FromFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{folder}: tokenizer folder not found.");
        }

        var json = Path.Combine(folder, "tokenizer.json");
        var spm = Path.Combine(folder, "tokenizer.model");
        var configFile = Path.Combine(folder, "tokenizer_config.json");
        var config = TokenizerConfig.Load(File.Exists(configFile) ? configFile : null, Path.Combine(folder, "special_tokens_map.json"));
        if (File.Exists(json))
        {
            try
            {
                return new TextTokenizer(TokenizerJsonLoader.Load(json), config);
            }
            catch (NotSupportedException) when (File.Exists(spm))
            {
                // e.g. Llama 2 / Mistral folders: a SentencePiece-style tokenizer.json beside tokenizer.model.
            }
        }

        if (File.Exists(spm))
        {
            return new TextTokenizer(SentencePieceModel.Load(spm, config.AddedTokens), config);
        }

        throw new FileNotFoundException(
            $"{folder}: no tokenizer found; looked for tokenizer.json (Hugging Face byte-level BPE) and tokenizer.model (SentencePiece).");
    }

    /// <summary>Loads a Hugging Face <c>tokenizer.json</c> with a byte-level BPE model.</summary>
    /// <param name="path">The tokenizer.json file.</param>
    /// <param name="tokenizerConfigPath">Optional tokenizer_config.json; a special_tokens_map.json beside it is read too.</param>
    /// <exception cref="NotSupportedException">The model is not byte-level BPE (the message names the file and the type).</exception>
    /// <exception cref="InvalidDataException">The file is malformed (the message names the file and the key).</exception>
    public static TextTokenizer FromTokenizerJson(string path, string? tokenizerConfigPath = null) =>
        new(TokenizerJsonLoader.Load(path), LoadConfig(tokenizerConfigPath));

    /// <summary>Loads a SentencePiece <c>tokenizer.model</c> (Llama 2, Mistral).</summary>
    /// <param name="path">The tokenizer.model file.</param>
    /// <param name="tokenizerConfigPath">Optional tokenizer_config.json; a special_tokens_map.json beside it is read too.</param>
    public static TextTokenizer FromSentencePiece(string path, string? tokenizerConfigPath = null)
    {
        var config = LoadConfig(tokenizerConfigPath);
        return new TextTokenizer(SentencePieceModel.Load(path, config.AddedTokens), config);
    }

    /// <summary>
    /// Loads a tiktoken encoding shipped with Microsoft.ML.Tokenizers' data packages, by encoding name
    /// (<c>cl100k_base</c>, <c>o200k_base</c>) or model name (<c>gpt-4</c>, <c>gpt-3.5-turbo</c>, <c>gpt-4o</c>, ...).
    /// EOS is <c>&lt;|endoftext|&gt;</c>; there is no BOS.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static TextTokenizer FromTiktoken(string modelOrEncoding) => new(new TiktokenModel(modelOrEncoding), TokenizerConfig.Empty);

    /// <summary>The Microsoft.ML.Tokenizers tokenizer underneath (see the loaders' notes for what it does not cover).</summary>
    public Tokenizer Inner => _model.Inner;

    /// <summary>Number of distinct token ids, added tokens included (HF's <c>len(tokenizer)</c>).</summary>
    public int VocabSize { get; }

    /// <summary>BOS id, or null when the tokenizer has none.</summary>
    public int? BosTokenId { get; }

    /// <summary>EOS id, or null when the tokenizer has none.</summary>
    public int? EosTokenId { get; }

    /// <summary>PAD id, or null when the tokenizer has none.</summary>
    public int? PadTokenId { get; }

    /// <summary>BOS text, or null.</summary>
    public string? BosToken { get; }

    /// <summary>EOS text, or null.</summary>
    public string? EosToken { get; }

    /// <summary>PAD text, or null.</summary>
    public string? PadToken { get; }

    /// <summary>Whether <c>Encode(text, addSpecialTokens: true)</c> puts BOS first.</summary>
    public bool AddBosToken { get; }

    /// <summary>Whether <c>Encode(text, addSpecialTokens: true)</c> puts EOS last.</summary>
    public bool AddEosToken { get; }

    /// <summary>Added tokens marked special, by text.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>The raw Jinja <c>chat_template</c> of tokenizer_config.json, if any.</summary>
    public string? ChatTemplateSource { get; }

    /// <summary>Encodes text; added tokens written in it become their ids.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Add BOS/EOS as <see cref="AddBosToken"/>/<see cref="AddEosToken"/> say.</param>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addSpecialTokens && AddBosToken)
        {
            ids.Add(BosTokenId!.Value);
        }

        EncodeInto(text, continuation: false, ids);
        if (addSpecialTokens && AddEosToken)
        {
            ids.Add(EosTokenId!.Value);
        }

        return ids;
    }

    /// <summary>
    /// Encodes text that directly continues text encoded just before it, with no added token in between, so that
    /// concatenating the pieces' ids matches encoding them one after the other in one text run. It differs from
    /// <see cref="Encode"/> only for SentencePiece models, which then add no dummy-prefix space.
    /// </summary>
    public IReadOnlyList<int> EncodeContinuation(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        EncodeInto(text, continuation: true, ids);
        return ids;
    }

    /// <summary>Decodes ids to text.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out added tokens marked special (BOS, EOS, chat markers).</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a token of this tokenizer.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var run = new List<int>();
        var atStart = true;
        foreach (var id in ids)
        {
            if (_addedById.TryGetValue(id, out var added))
            {
                if (added.Special && skipSpecialTokens)
                {
                    continue;
                }

                Flush();
                text.Append(added.Content);
                atStart = false;
            }
            else if (_model.IdToToken(id) is null)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in the vocabulary ({VocabSize} ids).");
            }
            else
            {
                run.Add(id);
            }
        }

        Flush();
        return text.ToString();

        void Flush()
        {
            if (run.Count > 0)
            {
                text.Append(_model.Decode(run, atStart));
                atStart = false;
                run.Clear();
            }
        }
    }

    /// <summary>The id of a token: an added token's text, or a vocabulary entry in the model's form (<c>Ġhi</c>, <c>▁hi</c>).</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _addedByContent.TryGetValue(token, out var added) ? added.Id : _model.TokenToId(token);
    }

    /// <summary>The token of an id (an added token's text, or the model's vocabulary form), or null.</summary>
    public string? IdToToken(int id) => _addedById.TryGetValue(id, out var added) ? added.Content : _model.IdToToken(id);

    private void EncodeInto(string text, bool continuation, List<int> ids)
    {
        foreach (var (start, length, token) in _splitter.Split(text))
        {
            if (token is not null)
            {
                ids.Add(token.Id);
                continuation = false;
                continue;
            }

            _model.Encode(text.Substring(start, length), continuation, ids);
            continuation = true;
        }
    }

    private int? Resolve(string? token, string key, TokenizerConfig config)
    {
        if (token is null)
        {
            return null;
        }

        return TokenToId(token)
            ?? throw new InvalidDataException($"{config.Source ?? "tokenizer"}: {key} '{token}' is not a token of the tokenizer.");
    }

    private static TokenizerConfig LoadConfig(string? tokenizerConfigPath) =>
        tokenizerConfigPath is null
            ? TokenizerConfig.Empty
            : TokenizerConfig.Load(
                tokenizerConfigPath,
                Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerConfigPath))!, "special_tokens_map.json"));
}
