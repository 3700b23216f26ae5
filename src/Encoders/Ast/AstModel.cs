using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Ast;

/// <summary>AST's layer stack (key <c>layer.{i}</c> under <c>encoder</c>).</summary>
public sealed class AstEncoder : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly ModuleList<AstLayer> layer = new();
#pragma warning restore IDE1006

    /// <summary>Creates the layers.</summary>
    public AstEncoder(AstConfig config, ScalarType dtype, Device? device) : base(nameof(AstEncoder))
    {
        for (int i = 0; i < config.NumHiddenLayers; i++)
            layer.Add(new AstLayer(config, dtype, device));
        RegisterComponents();
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<AstLayer> Layers => layer.ToList();
}

/// <summary>The AST backbone (HF <c>ASTModel</c>): <c>embeddings</c>, <c>encoder.layer</c>, <c>layernorm</c>.</summary>
public sealed class AstTransformer : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AstEmbeddings embeddings;
    private readonly AstEncoder encoder;
    private readonly LayerNorm layernorm;
#pragma warning restore IDE1006

    /// <summary>Creates the backbone.</summary>
    public AstTransformer(AstConfig config, ScalarType dtype, Device? device) : base(nameof(AstTransformer))
    {
        embeddings = new AstEmbeddings(config, dtype, device);
        encoder = new AstEncoder(config, dtype, device);
        layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Runs the backbone; <paramref name="states"/> receives HF's hidden_states when given.</summary>
    public Tensor Forward(Tensor inputValues, List<Tensor>? states, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var x = embeddings.Forward(inputValues);
        var collected = new List<Tensor> { x };
        foreach (var layer in encoder.Layers)
        {
            x = layer.Forward(x, context);
            collected.Add(x);
        }
        if (states is not null)
            states.AddRange(collected.Select(s => s.MoveToOuterDisposeScope()));
        return layernorm.call(x).MoveToOuterDisposeScope();
    }
}

/// <summary>The classifier head of <c>ASTForAudioClassification</c>: <c>layernorm</c> then <c>dense</c>.</summary>
public sealed class AstClassifierHead : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly LayerNorm layernorm;
    private readonly AdaptableLinear dense;
#pragma warning restore IDE1006

    /// <summary>Creates the head for <paramref name="labels"/> classes.</summary>
    public AstClassifierHead(AstConfig config, int labels, ScalarType dtype, Device? device) : base(nameof(AstClassifierHead))
    {
        layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        dense = new AdaptableLinear(config.HiddenSize, labels, true, dtype, device);
        RegisterComponents();
    }

    /// <summary><c>[batch, hidden]</c> → logits <c>[batch, labels]</c>.</summary>
    public Tensor Forward(Tensor pooled, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        return dense.Forward(layernorm.call(pooled), context).MoveToOuterDisposeScope();
    }
}

/// <summary>What AST returns.</summary>
/// <param name="Encoder">Last hidden state (after the final LayerNorm) and optional hidden states.</param>
/// <param name="Pooled"><c>[batch, hidden]</c>: the mean of the class and distillation tokens.</param>
/// <param name="Logits"><c>[batch, labels]</c> when the model has a classifier head, else null.</param>
public sealed record AstOutput(EncoderOutput Encoder, Tensor Pooled, Tensor? Logits);

/// <summary>
/// A frozen Audio Spectrogram Transformer (Gong et al., 2021), as HF's <c>ASTModel</c> or
/// <c>ASTForAudioClassification</c> (keys <c>audio_spectrogram_transformer.…</c> and <c>classifier.…</c>);
/// the classifier is built only when the checkpoint has one. Input: <c>input_values [batch, max_length, mel bins]</c>
/// from <c>AstFeatureExtractor</c>.
/// </summary>
public sealed class AstModel : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AstTransformer audio_spectrogram_transformer;
    private readonly AstClassifierHead? classifier;
#pragma warning restore IDE1006

    /// <summary>Creates a model with uninitialised weights; <paramref name="labels"/> 0 builds no classifier.</summary>
    public AstModel(AstConfig config, int labels, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(AstModel))
    {
        Config = config;
        audio_spectrogram_transformer = new AstTransformer(config, dtype, device);
        if (labels > 0)
            classifier = new AstClassifierHead(config, labels, dtype, device);
        RegisterComponents();
    }

    /// <summary>The configuration.</summary>
    public AstConfig Config { get; }

    /// <summary>Output width.</summary>
    public int HiddenSize => Config.HiddenSize;

    /// <summary>True when the model has a classifier head.</summary>
    public bool HasClassifier => classifier is not null;

    /// <summary>Loads an AST folder; a bare <c>ASTModel</c> checkpoint (keys without the
    /// <c>audio_spectrogram_transformer.</c> prefix) loads too.</summary>
    public static AstModel FromPretrained(string folder, ScalarType? dtype = null, Device? device = null)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: AST folder not found.");
        var config = AstConfig.Load(Path.Combine(folder, "config.json"));
        using var checkpoint = CheckpointReader.Open(folder);
        var prefix = CheckpointPrefix.Find(checkpoint, "embeddings.patch_embeddings.projection.weight", null, "AST backbone");
        int labels = checkpoint.Contains("classifier.dense.weight") ? (int)checkpoint.Info("classifier.dense.weight").Shape[0] : 0;
        var model = new AstModel(config, labels, dtype ?? ScalarType.Float32, device);
        try
        {
            StateDictLoader.Load(model, checkpoint, name =>
                name.StartsWith("classifier.", StringComparison.Ordinal) ? name
                : name.StartsWith(prefix, StringComparison.Ordinal) ? "audio_spectrogram_transformer." + name[prefix.Length..]
                : null);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>Encodes spectrogram patches; pooled = mean of the class and distillation tokens.</summary>
    public AstOutput Forward(Tensor inputValues, bool outputHiddenStates = false, ForwardContext? context = null)
    {
        var states = outputHiddenStates ? new List<Tensor>() : null;
        using var scope = NewDisposeScope();
        var last = audio_spectrogram_transformer.Forward(inputValues, states, context); // [batch, tokens, hidden]
        var pooled = (last.select(1, 0) + last.select(1, 1)) / 2;                      // [batch, hidden]
        var logits = classifier?.Forward(pooled, context).MoveToOuterDisposeScope();
        states?.ForEach(s => s.MoveToOuterDisposeScope());
        return new AstOutput(new EncoderOutput(last.MoveToOuterDisposeScope(), states), pooled.MoveToOuterDisposeScope(), logits);
    }
}
