using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Vision;

/// <summary>
/// A frozen CLIP or SigLIP image encoder (HF <c>CLIPVisionModel</c> / <c>SiglipVisionModel</c>; keys
/// <c>vision_model.…</c>) that turns <c>pixel_values</c> into the patch features a connector consumes.
/// Every projection is an <see cref="AdaptableLinear"/>, so adapters attach as they do to the LLM.
/// </summary>
/// <example><code>
/// using var tower = VisionTower.FromPretrained("checkpoints/clip-vit-large-patch14-336");
/// var features = tower.SelectFeatures(pixelValues, VisionFeatureSelection.Llava); // [batch, 576, 1024]
/// </code></example>
public sealed class VisionTower : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly VisionTransformer vision_model;
#pragma warning restore IDE1006

    /// <summary>Creates a tower with uninitialised weights.</summary>
    public VisionTower(VisionTowerConfig config, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(VisionTower))
    {
        Config = config;
        vision_model = new VisionTransformer(config, dtype, device);
        RegisterComponents();
    }

    /// <summary>The configuration.</summary>
    public VisionTowerConfig Config { get; }

    /// <summary>Output width.</summary>
    public int HiddenSize => Config.HiddenSize;

    /// <summary>Loads from a folder holding a vision model, a full CLIP/SigLIP model, or a LLaVA-style model:
    /// the tower's tensors are found by prefix (e.g. <c>vision_tower.</c>, <c>model.vision_tower.vision_tower.</c>);
    /// other tensors (text tower, LLM, SigLIP's pooling head) are skipped.</summary>
    /// <param name="folder">Checkpoint folder with config.json and safetensors.</param>
    /// <param name="dtype">Weight dtype.</param>
    /// <param name="device">Weight device.</param>
    /// <param name="prefix">The prefix before <c>vision_model.</c>; null finds it.</param>
    public static VisionTower FromPretrained(string folder, ScalarType? dtype = null, Device? device = null, string? prefix = null)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: vision tower folder not found.");
        var config = VisionTowerConfig.Load(Path.Combine(folder, "config.json"));
        var tower = new VisionTower(config, dtype ?? ScalarType.Float32, device);
        try
        {
            using var checkpoint = CheckpointReader.Open(folder);
            var found = CheckpointPrefix.Find(checkpoint, "vision_model.embeddings.patch_embedding.weight", prefix, "vision tower");
            var map = CheckpointPrefix.KeyMap(found, ["vision_model"]);
            StateDictLoader.Load(tower, checkpoint,
                keyMap: name => map(name) is { } key && !key.StartsWith("vision_model.head.", StringComparison.Ordinal) ? key : null,
                // Older CLIP checkpoints store the position-id buffer; it is implied.
                allowUnexpected: name => name.EndsWith("embeddings.position_ids", StringComparison.Ordinal));
        }
        catch
        {
            tower.Dispose();
            throw;
        }
        return tower;
    }

    /// <summary>Runs every layer.</summary>
    /// <param name="pixelValues"><c>[batch, channels, image_size, image_size]</c></param>
    /// <param name="outputHiddenStates">Also return HF's <c>hidden_states</c> (layers + 1 tensors).</param>
    /// <param name="context">Forward context (adapters); null for plain inference.</param>
    /// <returns>Last hidden state after the post-norm <c>[batch, tokens, hidden]</c> (tokens = patches, + 1 for CLIP).</returns>
    public EncoderOutput Forward(Tensor pixelValues, bool outputHiddenStates = false, ForwardContext? context = null)
    {
        var states = outputHiddenStates ? new List<Tensor>() : null;
        using var scope = NewDisposeScope();
        var last = vision_model.Forward(pixelValues, Config.Layers, states, context);
        var normed = vision_model.PostNorm(last).MoveToOuterDisposeScope();
        states?.ForEach(s => s.MoveToOuterDisposeScope());
        return new EncoderOutput(normed, states);
    }

    /// <summary>The features a multimodal model consumes; runs only the layers the selection needs.</summary>
    /// <returns><c>[batch, tokens, hidden]</c></returns>
    /// <exception cref="ArgumentOutOfRangeException">The layer index is outside <c>[-(layers+1), layers]</c>.</exception>
    public Tensor SelectFeatures(Tensor pixelValues, VisionFeatureSelection selection, ForwardContext? context = null)
    {
        using var scope = NewDisposeScope();
        Tensor features;
        if (selection.Layer is int layer)
        {
            int count = Config.Layers + 1; // hidden_states entries
            int index = layer < 0 ? count + layer : layer;
            if (index < 0 || index >= count)
                throw new ArgumentOutOfRangeException(nameof(selection), $"vision feature layer {layer} is outside [-{count}, {count - 1}] for a {Config.Layers}-layer tower.");
            features = vision_model.Forward(pixelValues, index, null, context);
        }
        else
        {
            features = vision_model.PostNorm(vision_model.Forward(pixelValues, Config.Layers, null, context));
        }
        if (Config.HasClassToken && !selection.KeepClassToken)
            features = features.narrow(1, 1, features.shape[1] - 1); // drop the class token
        return features.MoveToOuterDisposeScope();
    }
}
