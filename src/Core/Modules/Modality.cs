namespace MMAdapt.Core.Modules;

/// <summary>
/// The modality a token came from. Stored per token (as <c>long</c> ids in
/// <see cref="ForwardContext.TokenModality"/>) so that modality adapters, modality gates and
/// modality-aware routers can tell text from image and audio tokens.
/// </summary>
public enum Modality : long
{
    /// <summary>Text tokens (the default for every token the tokenizer produced).</summary>
    Text = 0,
    /// <summary>Tokens spliced in from a vision connector.</summary>
    Image = 1,
    /// <summary>Tokens spliced in from an audio connector.</summary>
    Audio = 2,
}
