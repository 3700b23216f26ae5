namespace MMAdapt.Models.Tokenization;

/// <summary>
/// A token matched verbatim in the input before the model sees it (Hugging Face's <c>added_tokens</c>):
/// chat markers such as <c>&lt;|im_start|&gt;</c>, BOS/EOS, reserved tokens.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The exact text that stands for the token.</param>
/// <param name="Special">True for special tokens (skipped by <c>Decode(..., skipSpecialTokens: true)</c>).</param>
internal sealed record AddedToken(int Id, string Content, bool Special)
{
    /// <summary>Whitespace left of a match is swallowed into the token (HF <c>lstrip</c>).</summary>
    public bool LeftStrip { get; init; }

    /// <summary>Whitespace right of a match is swallowed into the token (HF <c>rstrip</c>).</summary>
    public bool RightStrip { get; init; }
}
