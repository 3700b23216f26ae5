using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Vision;

/// <summary>The stack of encoder layers (key <c>layers.{i}</c>, under <c>encoder</c>).</summary>
public sealed class VisionLayerStack : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly ModuleList<VisionEncoderLayer> layers = new();
#pragma warning restore IDE1006

    /// <summary>Creates <see cref="VisionTowerConfig.Layers"/> layers.</summary>
    public VisionLayerStack(VisionTowerConfig config, ScalarType dtype, Device? device) : base(nameof(VisionLayerStack))
    {
        for (int i = 0; i < config.Layers; i++)
            layers.Add(new VisionEncoderLayer(config, dtype, device));
        RegisterComponents();
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<VisionEncoderLayer> Layers => layers.ToList();
}

/// <summary>
/// The CLIP/SigLIP vision transformer (HF <c>vision_model</c>): embeddings, CLIP's <c>pre_layrnorm</c>
/// (sic, the checkpoint's spelling), <c>encoder.layers</c>, <c>post_layernorm</c>.
/// </summary>
public sealed class VisionTransformer : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly VisionEmbeddings embeddings;
    private readonly LayerNorm? pre_layrnorm;
    private readonly VisionLayerStack encoder;
    private readonly LayerNorm post_layernorm;
#pragma warning restore IDE1006

    /// <summary>Creates the transformer with uninitialised weights.</summary>
    public VisionTransformer(VisionTowerConfig config, ScalarType dtype, Device? device) : base(nameof(VisionTransformer))
    {
        embeddings = new VisionEmbeddings(config, dtype, device);
        if (config.Family == VisionFamily.Clip)
            pre_layrnorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        encoder = new VisionLayerStack(config, dtype, device);
        post_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Runs the embeddings and the first <paramref name="layersToRun"/> layers.</summary>
    /// <param name="pixelValues"><c>[batch, channels, H, W]</c></param>
    /// <param name="layersToRun">How many layers to run (the rest are skipped: LLaVA's layer -2 needs all but one).</param>
    /// <param name="collect">Receives HF's hidden_states: the first layer's input, then each layer's output.</param>
    /// <param name="context">Forward context for the projections' adapters.</param>
    /// <returns>The output of the last layer run, <c>[batch, tokens, hidden]</c>, without the post-norm.</returns>
    public Tensor Forward(Tensor pixelValues, int layersToRun, List<Tensor>? collect, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var states = new List<Tensor>();
        var hidden = embeddings.Forward(pixelValues);
        if (pre_layrnorm is not null)
            hidden = pre_layrnorm.call(hidden);
        states.Add(hidden);
        var layers = encoder.Layers;
        for (int i = 0; i < layersToRun; i++)
        {
            hidden = layers[i].Forward(hidden, context);
            states.Add(hidden);
        }
        if (collect is null)
            return hidden.MoveToOuterDisposeScope();
        foreach (var state in states)
            collect.Add(state.MoveToOuterDisposeScope()); // the last one is `hidden`: moved once
        return hidden;
    }

    /// <summary>Applies the final LayerNorm.</summary>
    public Tensor PostNorm(Tensor hidden) => post_layernorm.call(hidden);
}
