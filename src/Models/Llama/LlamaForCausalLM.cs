using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Diagnostics;
using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Models.Llama;

/// <summary>
/// A Llama, Mistral or Qwen2 causal language model loaded from a Hugging Face checkpoint folder.
/// Every linear projection is an <see cref="AdaptableLinear"/>, so adapters attach without model changes,
/// and <c>state_dict()</c> keys equal the checkpoint's (<c>model.layers.0.self_attn.q_proj.weight</c>).
/// </summary>
/// <example><code>
/// using var model = LlamaForCausalLM.FromPretrained("checkpoints/Qwen2-0.5B", ScalarType.BFloat16);
/// using var ids = torch.tensor(new long[] { 1, 2, 3 }).unsqueeze(0);
/// var logits = model.Forward(new DecoderInput { InputIds = ids }).Logits; // [1, 3, vocab]
/// </code></example>
public sealed class LlamaForCausalLM : nn.Module, ICausalLanguageModel
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly LlamaModel model;
    private readonly AdaptableLinear lm_head;
#pragma warning restore IDE1006

    /// <summary>Creates the model with uninitialised weights (load them, or call <see cref="InitializeWeights"/>).</summary>
    public LlamaForCausalLM(LlamaConfig config, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(LlamaForCausalLM))
    {
        config.Validate("config");
        Config = config;
        model = new LlamaModel(config, dtype, device);
        lm_head = config.TieWordEmbeddings
            ? new AdaptableLinear(model.EmbedTokens.Weight)
            : new AdaptableLinear(config.HiddenSize, config.VocabSize, false, dtype, device);
        RegisterComponents();
    }

    /// <summary>The configuration the model was built from.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The decoder stack (<c>model.</c>).</summary>
    public LlamaModel Model => model;

    /// <summary>The LM head (<c>lm_head</c>); shares the embedding weight when tied.</summary>
    public AdaptableLinear LmHead => lm_head;

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;
    /// <inheritdoc />
    public int HiddenSize => Config.HiddenSize;
    /// <inheritdoc />
    public int LayerCount => Config.NumHiddenLayers;
    /// <inheritdoc />
    public Device Device => model.EmbedTokens.Weight.device;
    /// <inheritdoc />
    public ScalarType Dtype => model.EmbedTokens.Weight.dtype;

    /// <summary>Loads <c>config.json</c> and the safetensors weights (single or sharded) of a folder.</summary>
    /// <param name="folder">A Hugging Face checkpoint folder.</param>
    /// <param name="dtype">Weight dtype (float32 when null; bfloat16 halves memory).</param>
    /// <param name="device">Where to put the weights (CPU when null).</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">Unsupported or inconsistent config.json.</exception>
    /// <exception cref="CheckpointException">Missing, unexpected or mis-shaped tensors (named).</exception>
    public static LlamaForCausalLM FromPretrained(string folder, ScalarType? dtype = null, Device? device = null)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: model folder not found.");
        var configPath = Path.Combine(folder, "config.json");
        var config = LlamaConfig.Load(configPath);
        if (config.AsksForSlidingWindow)
            Log.Warning($"{configPath}: sliding_window {config.SlidingWindow} is ignored; attention always spans the whole context " +
                        $"(identical results for sequences up to {config.SlidingWindow} tokens).");
        var result = new LlamaForCausalLM(config, dtype ?? ScalarType.Float32, device);
        try
        {
            using var checkpoint = CheckpointReader.Open(folder);
            StateDictLoader.Load(result, checkpoint,
                allowMissing: name => config.TieWordEmbeddings && name == "lm_head.weight",
                // Older Llama checkpoints stored each layer's RoPE table; it is recomputed here.
                allowUnexpected: name => name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal));
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Builds the decoder for <paramref name="config"/> and loads it from a checkpoint whose names carry a prefix
    /// (a LLaVA folder: <c>language_model.model.…</c> and <c>language_model.lm_head.weight</c>, or the newer
    /// <c>model.language_model.…</c> with a top-level <c>lm_head.weight</c>); other tensors (tower, projector) are skipped.</summary>
    /// <param name="config">The text model's config (e.g. <see cref="LlamaConfig.LoadText"/>).</param>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="dtype">Weight dtype.</param>
    /// <param name="device">Weight device.</param>
    public static LlamaForCausalLM FromCheckpoint(LlamaConfig config, string folder, ScalarType? dtype = null, Device? device = null)
    {
        var result = new LlamaForCausalLM(config, dtype ?? ScalarType.Float32, device);
        try
        {
            using var checkpoint = CheckpointReader.Open(folder);
            var keyMap = LanguageModelKeyMap(checkpoint);
            StateDictLoader.Load(result, checkpoint, keyMap,
                allowMissing: name => config.TieWordEmbeddings && name == "lm_head.weight",
                allowUnexpected: name => name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal));
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Maps a checkpoint's names to this model's keys, finding where the language model sits.</summary>
    private static Func<string, string?> LanguageModelKeyMap(CheckpointReader checkpoint)
    {
        const string anchor = "layers.0.input_layernorm.weight";
        string? Layout(string prefix) => checkpoint.Contains(prefix + anchor) ? prefix : null;
        if (Layout("model.") is not null)
            return name => name.StartsWith("model.", StringComparison.Ordinal) || name == "lm_head.weight" ? name : null;
        if (Layout("language_model.model.") is not null)   // LLaVA (transformers < 4.52)
            return name => name.StartsWith("language_model.", StringComparison.Ordinal) ? name["language_model.".Length..] : null;
        if (Layout("model.language_model.") is not null)   // LLaVA (transformers >= 4.52)
            return name => name.StartsWith("model.language_model.", StringComparison.Ordinal) ? "model." + name["model.language_model.".Length..]
                : name == "lm_head.weight" ? name : null;
        throw new CheckpointException(checkpoint.Path, anchor,
            "no language model found (looked for model., language_model.model. and model.language_model. prefixes)");
    }

    /// <summary>Saves <c>config.json</c> and <c>model.safetensors</c> (sharded above <paramref name="maxShardBytes"/>)
    /// in Hugging Face's layout, so that <see cref="FromPretrained"/> and <c>transformers</c> load the folder.
    /// A tied LM head is stored once, as <c>model.embed_tokens.weight</c>. Adapter weights are not included.</summary>
    public void SavePretrained(string folder, long maxShardBytes = 5L << 30)
    {
        Directory.CreateDirectory(folder);
        var tensors = state_dict()
            .Where(kv => !kv.Key.Contains(".adapters.", StringComparison.Ordinal))
            .Where(kv => !(Config.TieWordEmbeddings && kv.Key == "lm_head.weight"))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToList();
        ShardedCheckpointWriter.Write(folder, tensors, maxShardBytes);
        var dtypeName = Dtype switch
        {
            ScalarType.BFloat16 => "bfloat16",
            ScalarType.Float16 => "float16",
            _ => "float32",
        };
        (Config with { TorchDtype = dtypeName }).Save(Path.Combine(folder, "config.json"));
    }

    /// <summary>Fills the weights for training from scratch: normal(0, initializer_range) for projections and
    /// embeddings, as Hugging Face's <c>_init_weights</c> does; norms stay at 1.</summary>
    public void InitializeWeights(long seed)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.EndsWith("layernorm.weight", StringComparison.Ordinal) || name == "model.norm.weight")
                parameter.fill_(1.0);
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
                parameter.zero_();
            else
                parameter.normal_(0, Config.InitializerRange, generator);
        }
    }

    /// <inheritdoc />
    public Tensor Embed(Tensor inputIds, ForwardContext? context = null) => model.EmbedTokens.Forward(inputIds, context);

    /// <inheritdoc />
    public DecoderOutput Forward(DecoderInput input)
    {
        using var scope = NewDisposeScope();
        var embeddings = input.InputsEmbeds
            ?? (input.InputIds is { } ids ? Embed(ids, input.Context) : throw new ArgumentException("DecoderInput needs InputIds or InputsEmbeds."));
        var hidden = model.Forward(embeddings, input.AttentionMask, input.PositionIds, input.Cache, input.Context); // [batch, tokens, hidden]
        var kept = input.LogitsToKeep is int keep && keep < hidden.shape[1] ? hidden.narrow(1, hidden.shape[1] - keep, keep) : hidden;
        var logits = lm_head.Forward(kept, input.Context).to(ScalarType.Float32);                                      // [batch, kept, vocab]
        return new DecoderOutput(logits.MoveToOuterDisposeScope(), hidden.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public KvCache CreateCache(long capacity) => new(LayerCount, capacity);
}
