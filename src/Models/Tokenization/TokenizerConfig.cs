namespace MMAdapt.Models.Tokenization;

/// <summary>
/// What MMAdapt reads from a Hugging Face <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>:
/// the BOS/EOS/PAD/UNK tokens (written as strings or as <c>{"content": ...}</c> objects), whether BOS/EOS are
/// added, the Jinja <c>chat_template</c>, and <c>added_tokens_decoder</c>. Values from tokenizer_config.json
/// win over special_tokens_map.json.
/// </summary>
internal sealed record TokenizerConfig
{
    /// <summary>An empty configuration (every value unset).</summary>
    public static TokenizerConfig Empty { get; } = new();

    /// <summary><c>bos_token</c>.</summary>
    public string? BosToken { get; init; }

    /// <summary><c>eos_token</c>.</summary>
    public string? EosToken { get; init; }

    /// <summary><c>pad_token</c>.</summary>
    public string? PadToken { get; init; }

    /// <summary><c>unk_token</c>.</summary>
    public string? UnkToken { get; init; }

    /// <summary><c>add_bos_token</c>, when present.</summary>
    public bool? AddBosToken { get; init; }

    /// <summary><c>add_eos_token</c>, when present.</summary>
    public bool? AddEosToken { get; init; }

    /// <summary><c>chat_template</c>: the string, or from a list of named templates the one named "default" (else the first).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary><c>added_tokens_decoder</c> entries.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; init; } = [];

    /// <summary>The file(s) the values came from, for error messages (null when nothing was read).</summary>
    public string? Source { get; init; }

    /// <summary>Reads the files that exist; either path may be null or missing.</summary>
    public static TokenizerConfig Load(string? tokenizerConfigPath, string? specialTokensMapPath)
    {
        var config = Empty;
        if (specialTokensMapPath is not null && File.Exists(specialTokensMapPath))
        {
            config = ReadTokens(specialTokensMapPath, config);
        }

        if (tokenizerConfigPath is not null)
        {
            if (!File.Exists(tokenizerConfigPath))
            {
                throw new FileNotFoundException($"{tokenizerConfigPath}: file not found.", tokenizerConfigPath);
            }

            config = ReadTokenizerConfig(tokenizerConfigPath, ReadTokens(tokenizerConfigPath, config));
        }

        return config;
    }

    private static TokenizerConfig ReadTokens(string path, TokenizerConfig fallback)
    {
        var root = JsonCursor.Load(path, out var document);
        using (document)
        {
            return fallback with
            {
                BosToken = TokenText(root.Optional("bos_token")) ?? fallback.BosToken,
                EosToken = TokenText(root.Optional("eos_token")) ?? fallback.EosToken,
                PadToken = TokenText(root.Optional("pad_token")) ?? fallback.PadToken,
                UnkToken = TokenText(root.Optional("unk_token")) ?? fallback.UnkToken,
                Source = fallback.Source is null ? path : $"{path} (with {fallback.Source})",
            };
        }
    }

    private static TokenizerConfig ReadTokenizerConfig(string path, TokenizerConfig config)
    {
        var root = JsonCursor.Load(path, out var document);
        using (document)
        {
            var added = new List<AddedToken>();
            if (root.Optional("added_tokens_decoder") is { } decoder)
            {
                foreach (var (key, value) in decoder.Properties())
                {
                    if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                    {
                        throw decoder.Error($"has key '{key}', which is not a token id");
                    }

                    added.Add(new AddedToken(id, value.Required("content").String(), value.Optional("special")?.Bool() ?? false)
                    {
                        LeftStrip = value.Optional("lstrip")?.Bool() ?? false,
                        RightStrip = value.Optional("rstrip")?.Bool() ?? false,
                    });
                }
            }

            return config with
            {
                AddBosToken = root.Optional("add_bos_token")?.Bool(),
                AddEosToken = root.Optional("add_eos_token")?.Bool(),
                ChatTemplate = ReadChatTemplate(root.Optional("chat_template")),
                AddedTokens = added,
            };
        }
    }

    private static string? ReadChatTemplate(JsonCursor? node)
    {
        if (node is not { } template)
        {
            return null;
        }

        if (template.Element.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            return template.String();
        }

        var named = template.Items().Select(t => (Name: t.Required("name").String(), Text: t.Required("template").String())).ToList();
        return named.FirstOrDefault(t => t.Name == "default").Text ?? named.FirstOrDefault().Text;
    }

    // A token is written as "<s>" or as {"content": "<s>", "lstrip": false, ...}.
    private static string? TokenText(JsonCursor? node) => node switch
    {
        null => null,
        { Element.ValueKind: System.Text.Json.JsonValueKind.String } n => n.String(),
        { } n => n.Required("content").String(),
    };
}
