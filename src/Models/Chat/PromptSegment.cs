namespace MMAdapt.Models.Chat;

/// <summary>What a <see cref="PromptSegment"/> holds and how it becomes ids.</summary>
public enum PromptSegmentKind
{
    /// <summary>Free text, tokenised (added tokens written in it still become their ids).</summary>
    Text,

    /// <summary>A literal token such as <c>&lt;|im_start|&gt;</c>: exactly one id, which the tokenizer must have.</summary>
    Token,

    /// <summary>The tokenizer's BOS token, which it must have; the segment's text is shown when rendering without a tokenizer.</summary>
    Bos,

    /// <summary>The tokenizer's EOS token, which it must have; the segment's text is shown when rendering without a tokenizer.</summary>
    Eos,

    /// <summary>The tokenizer's BOS token when it adds one by default (<c>add_bos_token</c>), else nothing.</summary>
    DefaultBos,
}

/// <summary>
/// One piece of a rendered prompt: free text or a literal token, with the turn it belongs to. Chat templates
/// produce these (<see cref="ChatTemplate.Layout"/>); multimodal code can split text segments further at
/// <c>&lt;image&gt;</c>/<c>&lt;audio&gt;</c> placeholders before encoding them with <see cref="PromptSegmentEncoder"/>.
/// </summary>
/// <param name="Kind">How the segment becomes ids.</param>
/// <param name="Text">The segment's text (for BOS/EOS kinds, the text shown when no tokenizer is given).</param>
public sealed record PromptSegment(PromptSegmentKind Kind, string Text)
{
    /// <summary>Index of the turn the segment belongs to, or -1 for none (e.g. a leading BOS).</summary>
    public int Turn { get; init; } = -1;

    /// <summary>True for the part of an assistant turn that training puts loss on (answer and end-of-turn token).</summary>
    public bool IsAnswer { get; init; }
}
