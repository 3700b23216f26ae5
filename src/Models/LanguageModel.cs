using MMAdapt.Core.Configuration;
using MMAdapt.Core.Diagnostics;
using MMAdapt.Models.Chat;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Models.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Models;

/// <summary>
/// A language model checkpoint folder, loaded: the decoder, its tokenizer and chat template, and the
/// stop tokens of its <c>generation_config.json</c>. The entry point for inspecting and generating
/// from C# (the <c>mmadapt generate</c> command is a thin wrapper).
/// </summary>
/// <example><code>
/// using var lm = LanguageModel.Load("models/tiny-llama");
/// Console.WriteLine(lm.Complete("The cat", new GenerationOptions { MaxNewTokens = 8 }));
/// </code></example>
public sealed class LanguageModel : IDisposable
{
    /// <summary>The <c>model_type</c>s that can be loaded.</summary>
    public static IReadOnlyList<string> SupportedModelTypes => LlamaConfig.SupportedModelTypes;

    private LanguageModel(string folder, LlamaForCausalLM model, TextTokenizer? tokenizer, GenerationConfig? generationConfig)
    {
        Folder = folder;
        Decoder = model;
        Tokenizer = tokenizer;
        GenerationConfig = generationConfig;
    }

    /// <summary>The checkpoint folder.</summary>
    public string Folder { get; }

    /// <summary>The decoder (frozen backbone).</summary>
    public LlamaForCausalLM Decoder { get; }

    /// <summary>The tokenizer, or null when the folder has none.</summary>
    public TextTokenizer? Tokenizer { get; }

    /// <summary><c>generation_config.json</c>, or null when absent.</summary>
    public GenerationConfig? GenerationConfig { get; }

    /// <summary>Tokens that end generation: generation_config's eos_token_id, else the tokenizer's EOS, else config.json's.</summary>
    public IReadOnlyList<int> StopTokenIds =>
        GenerationConfig?.EosTokenId
        ?? (Tokenizer?.EosTokenId is int eos ? new[] { eos } : null)
        ?? Decoder.Config.EosTokenId
        ?? [];

    /// <summary>Loads a checkpoint folder (config.json, safetensors, and tokenizer files when present).</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="InvalidDataException">Unsupported model_type (supported ones listed) or bad config.</exception>
    public static LanguageModel Load(string folder, ScalarType? dtype = null, Device? device = null)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: model folder not found.");
        var configPath = Path.Combine(folder, "config.json");
        var modelType = HfConfigReader.ModelType(configPath);
        if (modelType is null || !SupportedModelTypes.Contains(modelType))
            throw new InvalidDataException(
                $"{configPath}: model_type '{modelType ?? "(missing)"}' is not supported; supported: {string.Join(", ", SupportedModelTypes)}.");
        var generationConfig = GenerationConfig.TryLoad(folder);
        var tokenizer = HasTokenizer(folder) ? TextTokenizer.FromFolder(folder) : null;
        var model = LlamaForCausalLM.FromPretrained(folder, dtype, device);
        return new LanguageModel(Path.GetFullPath(folder), model, tokenizer, generationConfig);
    }

    /// <summary>True when the folder holds tokenizer.json or tokenizer.model.</summary>
    public static bool HasTokenizer(string folder) =>
        File.Exists(Path.Combine(folder, "tokenizer.json")) || File.Exists(Path.Combine(folder, "tokenizer.model"));

    /// <summary>The tokenizer, or an error saying the folder has none.</summary>
    public TextTokenizer RequireTokenizer() =>
        Tokenizer ?? throw new InvalidOperationException($"{Folder}: no tokenizer.json or tokenizer.model; pass token ids instead.");

    /// <summary>The chat template to use: <paramref name="name"/> when given, else the built-in recognised from
    /// tokenizer_config.json's chat_template (a warning says so when it is not recognised and which built-in
    /// is used instead), else null (plain completion).</summary>
    /// <param name="name">A built-in template name, or null.</param>
    public ChatTemplate? ResolveChatTemplate(string? name)
    {
        if (name is not null)
            return ChatTemplate.ByName(name);
        var source = Tokenizer?.ChatTemplateSource;
        if (source is null)
            return null;
        var match = ChatTemplate.Recognize(source, "chatml");
        if (!match.Recognized)
            Log.Warning($"{Folder}: {match.Note}");
        return match.Template;
    }

    /// <summary>Generates from ids and returns the new ids (stop tokens default to <see cref="StopTokenIds"/>).</summary>
    public IReadOnlyList<int> Generate(IReadOnlyList<int> inputIds, GenerationOptions options) =>
        TextGenerator.Generate(Decoder, [inputIds], WithDefaults(options))[0];

    /// <summary>Continues <paramref name="text"/> as plain text (BOS added as the tokenizer config says).</summary>
    public string Complete(string text, GenerationOptions options)
    {
        var tokenizer = RequireTokenizer();
        var ids = tokenizer.Encode(text, addSpecialTokens: true);
        return tokenizer.Decode(Generate(ids, options), skipSpecialTokens: true);
    }

    /// <summary>Answers a conversation with a chat template and returns the assistant's reply.</summary>
    public string Chat(IReadOnlyList<ChatMessage> messages, GenerationOptions options, ChatTemplate template)
    {
        var tokenizer = RequireTokenizer();
        var encoded = template.Encode(tokenizer, messages, addGenerationPrompt: true);
        return tokenizer.Decode(Generate(encoded.Ids, options), skipSpecialTokens: true);
    }

    private GenerationOptions WithDefaults(GenerationOptions options) =>
        options.StopTokenIds.Count > 0 ? options : options with { StopTokenIds = StopTokenIds };

    /// <summary>Frees the weights.</summary>
    public void Dispose() => Decoder.Dispose();
}
