using MMAdapt.Adapters;
using MMAdapt.Adapters.Bottleneck;
using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Pill;
using MMAdapt.Adapters.SoftMoa;
using MMAdapt.Connectors;
using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Vision;
using MMAdapt.Finetune.Multimodal;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Export;

/// <summary>
/// Everything a LLaVA export decides before it writes a byte: which projector the image connector becomes, which vision
/// features LLaVA must select, the <c>&lt;image&gt;</c> token's id and the grown vocabulary, the dtype, and the warnings.
/// <see cref="For"/> refuses (naming the culprit) any model a plain <c>LlavaForConditionalGeneration</c> cannot reproduce.
/// </summary>
internal sealed record LlavaPlan
{
    /// <summary>The placeholder token HF's <c>LlavaProcessor</c> expands into <c>image_seq_length</c> copies.</summary>
    public const string ImageToken = MultimodalPromptEncoder.ImagePlaceholder;

    public required VisionPart Vision { get; init; }
    public required MlpConnector Projector { get; init; }
    /// <summary><c>projector_hidden_act</c>: the connector's activation, or <c>linear</c> (identity) for a depth-1 connector,
    /// whose <c>linear_2</c> is then written as the identity.</summary>
    public required string ProjectorAct { get; init; }
    public required int FeatureLayer { get; init; }
    /// <summary><c>default</c> drops the first (class) token, <c>full</c> keeps every token.</summary>
    public required string SelectStrategy { get; init; }
    /// <summary>1 when the tower prepends a class token (CLIP), else 0: the processor's <c>num_additional_image_tokens</c>.</summary>
    public required int AdditionalImageTokens { get; init; }
    public required int ImageSequenceLength { get; init; }
    public required int ImageTokenId { get; init; }
    /// <summary>True when the tokenizer gains the <c>&lt;image&gt;</c> token (false: it already had it).</summary>
    public required bool AddsImageToken { get; init; }
    public required int Vocabulary { get; init; }
    public required ScalarType Dtype { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>Checks that <paramref name="model"/> maps onto LLaVA and plans the export.</summary>
    /// <exception cref="InvalidOperationException">The model has no image tower, an image connector other than an MLP of
    /// depth 1 or 2, features LLaVA cannot select, adapters that cannot be folded into weights, or an audio tower
    /// without <see cref="LlavaExportOptions.DropAudio"/>; the message names the part and says why.</exception>
    public static LlavaPlan For(MultimodalModel model, LlavaExportOptions options)
    {
        var warnings = new List<string>();
        var vision = model.Vision ?? throw new InvalidOperationException("the model has no image tower; a LLaVA checkpoint needs one.");
        if (model.Audio is not null)
        {
            if (!options.DropAudio)
                throw new InvalidOperationException("the model has an audio tower and an audio connector, which a LLaVA checkpoint cannot hold; " +
                                                    "export without them with --drop-audio (LlavaExportOptions.DropAudio).");
            warnings.Add("the audio tower, the audio connector and any adapters on them were dropped: LLaVA has no audio input.");
        }
        var (projector, act) = ProjectorOf(model.ImageConnector!);
        int layer = vision.Selection.Layer ?? throw new InvalidOperationException(
            "the image features are the tower's last layer after post_layernorm (no feature layer), which LLaVA cannot select: it " +
            "reads hidden_states[vision_feature_layer] before the post-norm. Train with model.vision.feature_layer set (LLaVA uses -2).");
        RefuseUnmergeable(model);
        if (vision.Preprocessor.PadToSquare)
            warnings.Add("images were padded to a square in training: preprocessor_config.json names LlavaImageProcessor with do_pad " +
                         "(transformers >= 4.48; older versions and MMAdapt's own loader do not read it).");

        var tokenizer = model.Tokenizer;
        bool hasToken = tokenizer.SpecialTokens.TryGetValue(ImageToken, out int existing);
        int imageTokenId = hasToken ? existing : tokenizer.VocabSize;   // HF's add_tokens appends at len(tokenizer)
        int rows = model.Llm.Config.VocabSize;
        int vocabulary = imageTokenId < rows ? rows : RoundUp(imageTokenId + 1, Math.Max(1, options.PadVocabularyTo));
        return new LlavaPlan
        {
            Vision = vision,
            Projector = projector,
            ProjectorAct = act,
            FeatureLayer = layer,
            SelectStrategy = vision.Tower.Config.HasClassToken && !vision.Selection.KeepClassToken ? "default" : "full",
            AdditionalImageTokens = vision.Tower.Config.HasClassToken ? 1 : 0,
            ImageSequenceLength = model.ImageConnector!.OutputTokens(vision.EncoderTokens),
            ImageTokenId = imageTokenId,
            AddsImageToken = !hasToken,
            Vocabulary = vocabulary,
            Dtype = options.Dtype ?? AdapterMerge.DtypeOf(model.Llm.Config.TorchDtype),
            Warnings = warnings,
        };
    }

    /// <summary>The components whose weights are exported (the audio side never is).</summary>
    public static IEnumerable<(string Component, nn.Module Root)> ExportedComponents(MultimodalModel model) =>
        model.Components.Where(c => c.Component is "llm" or "vision" or "connector:image");

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    // HF's LlavaMultiModalProjector is always linear_1 → act → linear_2; a depth-1 connector fits as act = identity.
    private static (MlpConnector Projector, string Act) ProjectorOf(Connector connector)
    {
        if (connector is MlpConnector { Depth: 2 } mlp)
            return (mlp, AdapterActivations.NameOf(mlp.Activation));
        if (connector is MlpConnector { Depth: 1 } linear)
            return (linear, "linear");
        string type;
        try { type = connector.Options.Type; }
        catch (InvalidOperationException) { type = connector.GetType().Name; }
        var depth = connector is MlpConnector deep ? $" of depth {deep.Depth}" : "";
        throw new InvalidOperationException(
            $"the image connector '{connector.Name}' is a '{type}' connector{depth}; LLaVA's multi_modal_projector is linear_1, activation, " +
            "linear_2, so only an 'mlp' connector of depth 2 (mlp2x_gelu) or a 'linear' connector can be exported to it.");
    }

    private static void RefuseUnmergeable(MultimodalModel model)
    {
        var problems = new List<string>();
        foreach (var (component, root) in ExportedComponents(model))
        {
            foreach (var blocked in AdapterScopes.FindUnmergeable(root))
                problems.Add($"adapter '{blocked.Name}' on {component} {blocked.Module} ({blocked.Adapter.GetName()}): " +
                             (blocked.TiedWith is null ? WhyNot(blocked.Adapter)
                                 : $"its weight is shared with '{blocked.TiedWith}' (tied embeddings), so folding it in would change that layer too"));
            foreach (var (site, module) in root.named_modules())
                if (module is SublayerAdapterSite { Items.Count: > 0 } sublayers)
                    foreach (var (name, adapter) in sublayers.Items)
                        problems.Add($"adapter '{name}' on {component} {site} ({adapter.GetName()}): {WhyNot(adapter)}");
        }
        if (problems.Count > 0)
            throw new InvalidOperationException($"{problems.Count} adapter(s) cannot be exported to a plain LLaVA checkpoint, so nothing was " +
                                                $"written: {string.Join("; ", problems)}.");
    }

    private static string WhyNot(nn.Module adapter) => adapter switch
    {
        LoraMixture => "a mixture of LoRA experts routes each token by its input, so its weight change differs per token and no single weight holds it",
        ModalityAttentionGate => "a modality attention gate scales the output by each token's modality, which a plain LLaVA decoder does not know",
        ModalityAdapterExperts => "modality adapter experts choose an adapter by each token's modality, which a plain LLaVA decoder does not know",
        SoftMixtureOfAdapters or DenseMixtureOfAdapters => "a mixture of adapters adds routed modules beside the sublayer that LLaVA's layers do not have",
        BottleneckAdapter => "a bottleneck adapter adds a nonlinear down/up projection beside the sublayer, not a change of an existing weight",
        _ => "its effect is not a change of the layer's weights, so it cannot be folded in",
    };
}
