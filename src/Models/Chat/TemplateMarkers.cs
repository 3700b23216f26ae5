namespace MMAdapt.Models.Chat;

/// <summary>The distinctive strings by which <see cref="ChatTemplate.Recognize"/> tells chat templates apart.</summary>
internal static class TemplateMarkers
{
    // Most specific first: a llama2 template also has [INST], a chatml one may mention other markers in comments.
    private static readonly (string Name, string[] AllOf)[] Rules =
    [
        ("llama3", ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]),
        ("chatml", ["<|im_start|>", "<|im_end|>"]),
        ("llama2", ["[INST]", "[/INST]", "<<SYS>>"]),
        ("mistral", ["[INST]", "[/INST]"]),
    ];

    /// <summary>The built-in name and a note for logs, or null when no rule matches.</summary>
    public static (string Name, string Note)? Match(string jinja)
    {
        foreach (var (name, allOf) in Rules)
        {
            if (!allOf.All(marker => jinja.Contains(marker, StringComparison.Ordinal)))
            {
                continue;
            }

            var note = $"recognised as '{name}' by {string.Join(", ", allOf)}.";
            if (name == "chatml" && (jinja.Contains("You are a helpful assistant", StringComparison.Ordinal) || jinja.Contains("You are Qwen", StringComparison.Ordinal)))
            {
                note += " The source injects a default system prompt when none is given; MMAdapt's chatml does not (pass one explicitly).";
            }

            if (name == "mistral" && jinja.Contains("[SYSTEM_PROMPT]", StringComparison.Ordinal))
            {
                note += " The source writes the system prompt in [SYSTEM_PROMPT] markers; MMAdapt's mistral prepends it to the first user message.";
            }

            return (name, note);
        }

        return null;
    }
}
