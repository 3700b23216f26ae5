using MMAdapt.Models.Tokenization;

namespace MMAdapt.Models.Chat;

/// <summary>
/// A chat format written in C# (no Jinja engine is available): it lays a conversation out as
/// <see cref="PromptSegment"/>s (<see cref="Layout"/>), from which come the text (<see cref="Render(IReadOnlyList{ChatMessage}, bool)"/>)
/// and the ids with per-turn spans (<see cref="Encode"/>). Built-ins, by <see cref="Names"/>: <c>llama3</c>,
/// <c>chatml</c> (Qwen2), <c>mistral</c>, <c>llama2</c>, <c>plain</c>. <see cref="Recognize"/> maps a
/// tokenizer_config.json <c>chat_template</c> onto one of them by its markers.
/// </summary>
public abstract class ChatTemplate
{
    private static readonly ChatTemplate[] BuiltIns =
    [
        new Llama3ChatTemplate(), new ChatMLChatTemplate(), new MistralChatTemplate(), new Llama2ChatTemplate(), new PlainChatTemplate(),
    ];

    /// <summary>The template's name (what <see cref="ByName"/> accepts).</summary>
    public abstract string Name { get; }

    /// <summary>The built-in template names.</summary>
    public static IReadOnlyList<string> Names { get; } = BuiltIns.Select(t => t.Name).ToArray();

    /// <summary>The built-in template called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static ChatTemplate ByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return BuiltIns.FirstOrDefault(t => t.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown chat template '{name}'. Known: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>
    /// Recognises a Jinja <c>chat_template</c> as one of the built-ins by its distinctive markers
    /// (<c>&lt;|start_header_id|&gt;</c> → llama3, <c>&lt;|im_start|&gt;</c> → chatml, <c>&lt;&lt;SYS&gt;&gt;</c> with <c>[INST]</c> → llama2,
    /// <c>[INST]</c> → mistral); otherwise returns the template named <paramref name="fallbackName"/>, saying so.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="fallbackName"/> is not a built-in name.</exception>
    public static ChatTemplateMatch Recognize(string? jinjaSource, string fallbackName)
    {
        var fallback = ByName(fallbackName);
        if (string.IsNullOrWhiteSpace(jinjaSource))
        {
            return new ChatTemplateMatch(fallback, false, $"no chat_template given; using '{fallback.Name}'.");
        }

        var match = TemplateMarkers.Match(jinjaSource);
        if (match is null)
        {
            return new ChatTemplateMatch(
                fallback, false,
                $"chat_template not recognised (none of the markers of {string.Join(", ", Names.Where(n => n != "plain"))}); using '{fallback.Name}'.");
        }

        return new ChatTemplateMatch(ByName(match.Value.Name), true, match.Value.Note);
    }

    /// <summary>Lays the conversation out as segments.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="addGenerationPrompt">Append the opening of an assistant turn, for generation.</param>
    /// <exception cref="ArgumentException">A role is unknown or the roles' order does not fit the format.</exception>
    public abstract ChatLayout Layout(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt);

    /// <summary>Encodes the conversation piece by piece (see <see cref="PromptSegmentEncoder"/>), with turn spans.</summary>
    /// <exception cref="InvalidOperationException">The tokenizer lacks a token the format needs (the message names it).</exception>
    public abstract ChatEncoding Encode(TextTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt);

    /// <summary>The text form of the conversation, for display and debugging (BOS/EOS as the template's defaults).</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) => Layout(messages, addGenerationPrompt).Render();

    /// <summary>The text form of the conversation with <paramref name="tokenizer"/>'s BOS/EOS text.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, TextTokenizer tokenizer) =>
        Layout(messages, addGenerationPrompt).Render(tokenizer);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Encodes a layout and derives each turn's span from its segments' id ranges.</summary>
    protected ChatEncoding EncodeLayout(TextTokenizer tokenizer, ChatLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        SegmentedIds encoded;
        try
        {
            encoded = PromptSegmentEncoder.Encode(tokenizer, layout.Segments);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Chat template '{Name}': {e.Message}", e);
        }

        var turns = new List<TurnSpan>(layout.TurnRoles.Count);
        var position = 0;
        for (var turn = 0; turn < layout.TurnRoles.Count; turn++)
        {
            int? start = null, end = null, contentStart = null, contentEnd = null;
            for (var i = 0; i < layout.Segments.Count; i++)
            {
                if (layout.Segments[i].Turn != turn)
                {
                    continue;
                }

                var (from, to) = encoded.Ranges[i];
                start ??= from;
                end = to;
                if (layout.Segments[i].IsAnswer)
                {
                    contentStart ??= from;
                    contentEnd = to;
                }
            }

            var role = layout.TurnRoles[turn];
            var span = new TurnSpan(role, start ?? position, end ?? position);
            if (role == ChatMessage.AssistantRole)
            {
                span = span with { ContentStart = contentStart ?? span.End, ContentEnd = contentEnd ?? span.End };
            }

            turns.Add(span);
            position = span.End;
        }

        return new ChatEncoding(encoded.Ids, turns);
    }

    /// <summary>
    /// Checks roles: each must be system, user or assistant; with <paramref name="instFormat"/>, a system message
    /// may only come first and the rest must alternate user/assistant starting with user (as the [INST] formats require).
    /// </summary>
    /// <exception cref="ArgumentException">The message names the offending index and role.</exception>
    protected static void ValidateRoles(IReadOnlyList<ChatMessage> messages, bool instFormat)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var offset = messages.Count > 0 && messages[0].Role == ChatMessage.SystemRole ? 1 : 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var role = messages[i].Role;
            if (role is not (ChatMessage.SystemRole or ChatMessage.UserRole or ChatMessage.AssistantRole))
            {
                throw new ArgumentException($"messages[{i}] has role '{role}'; expected system, user or assistant.", nameof(messages));
            }

            var expected = (i - offset) % 2 == 0 ? ChatMessage.UserRole : ChatMessage.AssistantRole;
            if (instFormat && i >= offset && role != expected)
            {
                throw new ArgumentException(
                    $"messages[{i}] has role '{role}', but this format needs an optional system message, then user/assistant alternating from user (expected '{expected}').",
                    nameof(messages));
            }
        }

        if (instFormat && offset == 1 && messages.Count == 1)
        {
            throw new ArgumentException("A system message needs a user message after it in this format.", nameof(messages));
        }
    }
}
