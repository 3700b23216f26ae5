using Microsoft.ML.Tokenizers;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// The model half of a <see cref="TextTokenizer"/>: turns text that holds no added token into ids and
/// ordinary ids back into text. Added tokens, BOS/EOS and skipping special tokens are handled once, in
/// <see cref="TextTokenizer"/>, for every kind of model.
/// </summary>
internal abstract class TokenizerModel
{
    /// <summary>The Microsoft.ML.Tokenizers object that does the work.</summary>
    public abstract Tokenizer Inner { get; }

    /// <summary>Tokens the model itself treats as added tokens (SentencePiece control pieces, tiktoken specials).</summary>
    public virtual IEnumerable<AddedToken> BuiltInAddedTokens => [];

    /// <summary>BOS token when the configuration names none, or null.</summary>
    public virtual string? DefaultBosToken => null;

    /// <summary>EOS token when the configuration names none, or null.</summary>
    public virtual string? DefaultEosToken => null;

    /// <summary>Whether BOS is added by default when the configuration does not say.</summary>
    public virtual bool DefaultAddBos => false;

    /// <summary>Whether EOS is added by default when the configuration does not say.</summary>
    public virtual bool DefaultAddEos => false;

    /// <summary>Number of ids in the model's vocabulary.</summary>
    public abstract int Count { get; }

    /// <summary>All (token, id) pairs of the model's vocabulary, in token form (e.g. <c>Ġhello</c>, <c>▁hello</c>).</summary>
    public abstract IEnumerable<KeyValuePair<string, int>> Vocabulary { get; }

    /// <summary>
    /// Appends the ids of <paramref name="text"/>, which holds no added token.
    /// <paramref name="continuation"/> is true when the text directly continues text encoded just before it
    /// (no special token in between): models that prefix a space to each text (SentencePiece's dummy prefix)
    /// then do not.
    /// </summary>
    public abstract void Encode(string text, bool continuation, List<int> ids);

    /// <summary>Decodes a run of ordinary ids; <paramref name="atStart"/> is true when nothing was decoded before it.</summary>
    public abstract string Decode(IReadOnlyList<int> ids, bool atStart);

    /// <summary>The id of a token written in vocabulary form, or null.</summary>
    public abstract int? TokenToId(string token);

    /// <summary>The vocabulary form of an id, or null.</summary>
    public abstract string? IdToToken(int id);
}
