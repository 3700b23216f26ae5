namespace MMAdapt.Models.Chat;

/// <summary>
/// The token range <c>[Start, End)</c> of one turn of an encoded conversation, including the template's wrapper
/// tokens for that turn (headers, <c>[INST]</c> markers, end-of-turn tokens). Tokens that belong to no turn,
/// such as a leading BOS, lie outside every span.
/// </summary>
/// <param name="Role">The turn's role. Templates that fold the system prompt into the first user turn
/// (llama2, mistral) report one <c>user</c> turn for both messages.</param>
/// <param name="Start">Index of the turn's first token.</param>
/// <param name="End">Index one past the turn's last token.</param>
public sealed record TurnSpan(string Role, int Start, int End)
{
    /// <summary>
    /// For assistant turns: index of the first token training puts loss on (the answer's first token);
    /// null for other turns. For a generation prompt (an assistant turn with no answer yet) it equals <see cref="End"/>.
    /// </summary>
    public int? ContentStart { get; init; }

    /// <summary>
    /// For assistant turns: index one past the last loss token (the answer plus its end-of-turn token,
    /// e.g. <c>&lt;|eot_id|&gt;</c>, <c>&lt;|im_end|&gt;</c>, <c>&lt;/s&gt;</c>); null for other turns.
    /// </summary>
    public int? ContentEnd { get; init; }

    /// <summary>Number of tokens in the turn.</summary>
    public int Length => End - Start;
}
