namespace MMAdapt.Models.Chat;

/// <summary>Collects the segments of a layout, tagging each with the turn it is added in.</summary>
internal sealed class ChatLayoutBuilder
{
    private readonly List<PromptSegment> _segments = [];
    private readonly List<string> _roles = [];
    private int _turn = -1;

    /// <summary>Starts a turn; segments added next belong to it.</summary>
    public ChatLayoutBuilder BeginTurn(string role)
    {
        _roles.Add(role);
        _turn = _roles.Count - 1;
        return this;
    }

    /// <summary>Adds free text.</summary>
    public ChatLayoutBuilder Text(string text, bool answer = false) => Add(PromptSegmentKind.Text, text, answer);

    /// <summary>Adds a literal token.</summary>
    public ChatLayoutBuilder Token(string token, bool answer = false) => Add(PromptSegmentKind.Token, token, answer);

    /// <summary>Adds the tokenizer's BOS (shown as <paramref name="defaultText"/> without a tokenizer).</summary>
    public ChatLayoutBuilder Bos(string defaultText) => Add(PromptSegmentKind.Bos, defaultText, false);

    /// <summary>Adds the tokenizer's EOS (shown as <paramref name="defaultText"/> without a tokenizer).</summary>
    public ChatLayoutBuilder Eos(string defaultText, bool answer = false) => Add(PromptSegmentKind.Eos, defaultText, answer);

    /// <summary>Adds the tokenizer's BOS when it adds one by default.</summary>
    public ChatLayoutBuilder DefaultBos() => Add(PromptSegmentKind.DefaultBos, "", false);

    /// <summary>The layout built so far.</summary>
    public ChatLayout Build() => new(_segments.ToList(), _roles.ToList());

    private ChatLayoutBuilder Add(PromptSegmentKind kind, string text, bool answer)
    {
        _segments.Add(new PromptSegment(kind, text) { Turn = _turn, IsAnswer = answer });
        return this;
    }
}
