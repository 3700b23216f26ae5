using System.Text.Json.Nodes;
using MMAdapt.Models.Chat;
using MMAdapt.Models.Tokenization;

namespace MMAdapt.Finetune.Export;

/// <summary>
/// The tokenizer files of a LLaVA folder: the LLM's own, with <c>&lt;image&gt;</c> added as a special token at
/// <see cref="LlavaPlan.ImageTokenId"/> (in <c>tokenizer.json</c>'s <c>added_tokens</c> and in
/// <c>tokenizer_config.json</c>'s <c>added_tokens_decoder</c>, which slow SentencePiece tokenizers read), and the chat
/// template twice: unchanged in <c>tokenizer_config.json</c> for text, and in <c>chat_template.json</c> for
/// <c>LlavaProcessor</c>, behind a preamble that turns processor-style content lists (<c>{"type": "image"}</c>,
/// <c>{"type": "text", …}</c>) into the text MMAdapt trained on, one <c>&lt;image&gt;\n</c> per image.
/// </summary>
internal static class LlavaTokenizerFiles
{
    /// <summary>Files copied unchanged when the LLM folder has them.</summary>
    private static readonly string[] Copied = ["tokenizer.model", "special_tokens_map.json"];

    /// <summary>Flattens content lists into strings, then hands <c>messages</c> to the LLM's own template.</summary>
    internal const string ContentListPreamble = """
        {%- set flattened = namespace(messages=[]) -%}
        {%- for message in messages -%}
        {%- if message['content'] is string -%}
        {%- set flattened.messages = flattened.messages + [message] -%}
        {%- else -%}
        {%- set text = namespace(value='') -%}
        {%- for part in message['content'] -%}
        {%- if part['type'] == 'image' -%}{%- set text.value = text.value + '<image>\n' -%}
        {%- elif part['type'] == 'text' -%}{%- set text.value = text.value + part['text'] -%}{%- endif -%}
        {%- endfor -%}
        {%- set flattened.messages = flattened.messages + [{'role': message['role'], 'content': text.value}] -%}
        {%- endif -%}
        {%- endfor -%}
        {%- set messages = flattened.messages -%}

        """;

    /// <summary>Writes the tokenizer files and returns warnings about the chat template.</summary>
    /// <param name="tokenizer">The model's tokenizer (loaded from <paramref name="llmFolder"/>).</param>
    /// <param name="template">The chat template the model was trained with.</param>
    /// <param name="plan">The export plan.</param>
    /// <param name="llmFolder">The source LLM folder.</param>
    /// <param name="folder">The folder being written.</param>
    public static IReadOnlyList<string> Write(TextTokenizer tokenizer, ChatTemplate template, LlavaPlan plan, string llmFolder, string folder)
    {
        foreach (var name in Copied)
            if (File.Exists(Path.Combine(llmFolder, name)))
                File.Copy(Path.Combine(llmFolder, name), Path.Combine(folder, name));

        var tokenizerJson = Path.Combine(llmFolder, "tokenizer.json");
        if (File.Exists(tokenizerJson))
        {
            var json = JsonNode.Parse(File.ReadAllText(tokenizerJson))!.AsObject();
            if (plan.AddsImageToken)
                (json["added_tokens"] as JsonArray ?? throw new InvalidDataException($"{tokenizerJson}: 'added_tokens' must be a list."))
                    .Add(AddedToken(plan.ImageTokenId));
            LlavaConfigFiles.Save(folder, "tokenizer.json", json);
        }

        var configPath = Path.Combine(llmFolder, "tokenizer_config.json");
        var config = File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath))!.AsObject() : [];
        if (plan.AddsImageToken)
        {
            if (config["added_tokens_decoder"] is not JsonObject decoder)
                config["added_tokens_decoder"] = decoder = [];
            var entry = AddedToken(plan.ImageTokenId);
            entry.Remove("id");
            decoder[plan.ImageTokenId.ToString(System.Globalization.CultureInfo.InvariantCulture)] = entry;
        }
        config["processor_class"] = "LlavaProcessor";
        LlavaConfigFiles.Save(folder, "tokenizer_config.json", config);

        var warnings = new List<string>();
        if (tokenizer.ChatTemplateSource is not { } jinja)
        {
            warnings.Add($"{llmFolder} has no Jinja chat_template, so none was exported; the model was trained with the built-in " +
                         $"'{template.Name}' template: format prompts that way in Python.");
            return warnings;
        }
        var match = ChatTemplate.Recognize(jinja, "plain");
        if (!match.Recognized || match.Template.Name != template.Name)
            warnings.Add($"the model was trained with the built-in '{template.Name}' chat template, but the exported chat_template (from " +
                         $"{llmFolder}) reads as '{(match.Recognized ? match.Template.Name : "unrecognised")}': prompts formatted by Python tools may differ.");
        LlavaConfigFiles.Save(folder, "chat_template.json", new JsonObject { ["chat_template"] = ContentListPreamble + jinja });
        return warnings;
    }

    private static JsonObject AddedToken(int id) => new()
    {
        ["id"] = id,
        ["content"] = LlavaPlan.ImageToken,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = false,
        ["special"] = true,
    };
}
