using MMAdapt.Connectors;
using MMAdapt.Core.Modules;
using MMAdapt.Finetune.Training;
using MMAdapt.Models.Chat;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Models.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>
/// A frozen LLM that sees and hears: the tokenizer and chat template, the LLM, frozen image and audio towers, the
/// connectors that map their features into the LLM's embedding space, and whatever adapters are attached to any of
/// them. Media placeholders in the text become slots filled with connector outputs; every token carries its
/// modality, and each sample's mean prompt embedding is available to sample-level routers as <see cref="PromptKey"/>.
/// </summary>
/// <example><code>
/// var sample = model.EncodeConversation(messages, images: ["cat.png"], audios: [], source: "demo");
/// using var batch = model.Collate([sample!]);
/// var context = model.Context(batch, training: true);
/// var loss = model.Loss(batch, context);
/// </code></example>
public sealed partial class MultimodalModel : IDisposable
{
    /// <summary>The <see cref="ForwardContext.SampleKeys"/> entry holding each sample's mean prompt-token embedding
    /// <c>[batch, hidden]</c> (Octavius-style routing; layer-normalise it for Awaker's).</summary>
    public const string PromptKey = "prompt_mean";

    /// <summary>Creates the model from its parts.</summary>
    /// <param name="llm">The frozen decoder.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="template">The chat template.</param>
    /// <param name="vision">The image side, or null.</param>
    /// <param name="audio">The audio side, or null.</param>
    /// <param name="imageConnector">Maps image features to the LLM width (required with <paramref name="vision"/>).</param>
    /// <param name="audioConnector">Maps audio features to the LLM width (required with <paramref name="audio"/>).</param>
    /// <param name="promptEncoder">Tokenisation and truncation settings.</param>
    /// <exception cref="ArgumentException">A tower without its connector, or widths that do not fit.</exception>
    public MultimodalModel(LlamaForCausalLM llm, TextTokenizer tokenizer, ChatTemplate template, VisionPart? vision, AudioPart? audio,
        Connector? imageConnector, Connector? audioConnector, MultimodalPromptEncoder promptEncoder)
    {
        Llm = llm;
        Tokenizer = tokenizer;
        Template = template;
        Vision = vision;
        Audio = audio;
        ImageConnector = imageConnector;
        AudioConnector = audioConnector;
        PromptEncoder = promptEncoder;
        Check(vision?.Tower.HiddenSize, imageConnector, "image");
        Check(audio?.HiddenSize, audioConnector, "audio");
    }

    private void Check(int? towerWidth, Connector? connector, string kind)
    {
        if (towerWidth is null)
            return;
        if (connector is null)
            throw new ArgumentException($"the {kind} tower needs a connector.");
        if (connector.InFeatures != towerWidth || connector.OutFeatures != Llm.HiddenSize)
            throw new ArgumentException($"the {kind} connector maps {connector.InFeatures} -> {connector.OutFeatures}, but the tower gives {towerWidth} " +
                                        $"and the LLM takes {Llm.HiddenSize}.");
    }

    /// <summary>Puts <paramref name="connector"/> in place of the image or audio connector (a stage that trains its own
    /// connector type, such as CuMo's dense MLP before the MoE). Returns the one replaced, for the caller to dispose.</summary>
    /// <exception cref="ArgumentException">The model has no tower of that modality, the widths do not fit, or adapters
    /// are attached to the connector being replaced (they would be lost).</exception>
    public Connector ReplaceConnector(Modality modality, Connector connector)
    {
        var old = (modality == Modality.Image ? ImageConnector : modality == Modality.Audio ? AudioConnector : null)
            ?? throw new ArgumentException($"the model has no {modality.ToString().ToLowerInvariant()} connector to replace.");
        if (old.named_modules().Any(m => m.module is AdapterSet { Count: > 0 }))
            throw new ArgumentException($"{old.Name} has adapters attached; a stage cannot swap it for another connector type.");
        Check(modality == Modality.Image ? Vision?.Tower.HiddenSize : Audio?.HiddenSize, connector, modality.ToString().ToLowerInvariant());
        if (modality == Modality.Image)
            ImageConnector = connector;
        else
            AudioConnector = connector;
        return old;
    }

    /// <summary>The frozen decoder.</summary>
    public LlamaForCausalLM Llm { get; }
    /// <summary>Its tokenizer.</summary>
    public TextTokenizer Tokenizer { get; }
    /// <summary>The chat template.</summary>
    public ChatTemplate Template { get; }
    /// <summary>The image side, or null.</summary>
    public VisionPart? Vision { get; }
    /// <summary>The audio side, or null.</summary>
    public AudioPart? Audio { get; }
    /// <summary>The image connector, or null.</summary>
    public Connector? ImageConnector { get; private set; }
    /// <summary>The audio connector, or null.</summary>
    public Connector? AudioConnector { get; private set; }
    /// <summary>Tokenisation, truncation and loss-mask settings.</summary>
    public MultimodalPromptEncoder PromptEncoder { get; }
    /// <summary>The classifier of <c>classify</c> stages, or null (see <see cref="AttachHead(ClassificationHead)"/>).</summary>
    public ClassificationHead? Head { get; private set; }

    /// <summary>Attaches the classification head; it becomes the component <c>head</c>.</summary>
    /// <exception cref="ArgumentException">The head's component is not part of this model, or its width does not fit it.</exception>
    /// <exception cref="InvalidOperationException">A head is attached already.</exception>
    public void AttachHead(ClassificationHead head)
    {
        if (Head is not null)
            throw new InvalidOperationException($"a classification head (over '{Head.Component}') is attached already; a model has one.");
        int width = HeadFeatures.Width(this, head.Component);
        if (head.Width != width)
            throw new ArgumentException($"the head over '{head.Component}' takes width {head.Width}, but '{head.Component}' gives {width}.");
        Head = head;
    }

    /// <summary>The named parts adapters attach to and stages train: <c>llm</c>, <c>vision</c>, <c>audio</c>,
    /// <c>connector:image</c>, <c>connector:audio</c>, <c>head</c> (those present).</summary>
    public IReadOnlyList<(string Component, nn.Module Root)> Components
    {
        get
        {
            var parts = new List<(string, nn.Module)> { ("llm", Llm) };
            if (Vision is not null) parts.Add(("vision", Vision.Tower));
            if (Audio is not null) parts.Add(("audio", Audio.Tower));
            if (ImageConnector is not null) parts.Add(("connector:image", ImageConnector));
            if (AudioConnector is not null) parts.Add(("connector:audio", AudioConnector));
            if (Head is not null) parts.Add(("head", Head));
            return parts;
        }
    }

    /// <summary>What the model is made of, one row per component (a table in a notebook, aligned text elsewhere).</summary>
    public ModelSummary Summary() => ModelSummary.Of(this);

    /// <summary>Parameters per component and per attached adapter, and how many of them train.</summary>
    public ParameterCounts ParameterCounts() => Training.ParameterCounts.Of(Components);

    /// <summary>The id that fills padding and media slots.</summary>
    public int PadId => Tokenizer.PadTokenId ?? Tokenizer.EosTokenId ?? 0;

    /// <summary>Decodes and preprocesses one media file (thread-safe).</summary>
    public PreparedMedia PrepareMedia(string file, Modality modality) => modality switch
    {
        Modality.Image => (Vision ?? throw new InvalidOperationException($"{file}: the model has no image tower.")).Prepare(file),
        Modality.Audio => (Audio ?? throw new InvalidOperationException($"{file}: the model has no audio tower.")).Prepare(file),
        _ => throw new ArgumentException($"{file}: {modality} is not a media modality."),
    };

    /// <summary>How many LLM tokens a media item becomes.</summary>
    public int SlotCount(PreparedMedia media) => media.Modality == Modality.Image
        ? ImageConnector!.OutputTokens(media.EncoderTokens)
        : AudioConnector!.OutputTokens(media.EncoderTokens);

    /// <summary>Prepares a conversation's media and encodes it (thread-safe). Media are taken in the order their
    /// placeholders appear in the text: the next image for each <c>&lt;image&gt;</c>, the next clip for each <c>&lt;audio&gt;</c>.</summary>
    /// <returns>The sample, or null when it is too long and the truncation policy drops it.</returns>
    /// <exception cref="InvalidDataException">Placeholders and attached media do not match (the message names the source).</exception>
    public EncodedSample? EncodeConversation(IReadOnlyList<ChatMessage> messages, IReadOnlyList<string> images, IReadOnlyList<string> audios,
        string source, bool addGenerationPrompt = false)
    {
        var text = string.Concat(messages.Select(m => m.Content));
        int imagePlaceholders = Data.PlaceholderRules.Count(text, MultimodalPromptEncoder.ImagePlaceholder);
        int audioPlaceholders = Data.PlaceholderRules.Count(text, MultimodalPromptEncoder.AudioPlaceholder);
        if (imagePlaceholders != images.Count || audioPlaceholders != audios.Count)
            throw new InvalidDataException($"{source}: {imagePlaceholders} <image> and {audioPlaceholders} <audio> placeholder(s) " +
                                           $"but {images.Count} image(s) and {audios.Count} audio clip(s) attached.");
        var order = new List<(int At, Modality Modality)>();
        foreach (var (placeholder, modality) in new[] { (MultimodalPromptEncoder.ImagePlaceholder, Modality.Image), (MultimodalPromptEncoder.AudioPlaceholder, Modality.Audio) })
            for (int at = text.IndexOf(placeholder, StringComparison.Ordinal); at >= 0; at = text.IndexOf(placeholder, at + 1, StringComparison.Ordinal))
                order.Add((at, modality));
        int nextImage = 0, nextAudio = 0;
        var media = order.OrderBy(o => o.At)
            .Select(o => PrepareMedia(o.Modality == Modality.Image ? images[nextImage++] : audios[nextAudio++], o.Modality))
            .ToList();
        return PromptEncoder.Encode(messages, media, SlotCount, source, addGenerationPrompt);
    }

    /// <summary>Stacks encoded samples into a batch on the LLM's device.</summary>
    public MultimodalBatch Collate(IReadOnlyList<EncodedSample> samples) => MultimodalBatch.Collate(samples, PadId, Llm.Device);

    /// <summary>The forward context of a batch: token modalities, the padding mask and the prompt routing key.</summary>
    /// <remarks>The key and the context's tensors belong to the caller's dispose scope.</remarks>
    public ForwardContext Context(MultimodalBatch batch, bool training)
    {
        using var _ = no_grad();
        var embeddings = Llm.Embed(batch.Ids);                                                           // [batch, tokens, hidden]
        var weights = batch.PromptMask.to(embeddings.dtype).unsqueeze(-1);                                 // [batch, tokens, 1]
        var key = (embeddings * weights).sum(1) / weights.sum(1).clamp_min(1);                            // [batch, hidden]
        return new ForwardContext
        {
            TokenModality = batch.Modalities,
            AttentionMask = batch.AttentionMask,
            SampleKeys = new Dictionary<string, Tensor> { [PromptKey] = key },
            Training = training,
        };
    }

    /// <summary>
    /// The context for a tower or connector: the LLM's context describes LLM tokens (its mask and modalities have the
    /// LLM's shape), so media parts get their own, sharing only the training flag and the aux sink (a MoE connector's
    /// losses land with the LLM's).
    /// </summary>
    internal static ForwardContext? MediaContext(ForwardContext? context) =>
        context is null ? null : new ForwardContext { Training = context.Training, Sink = context.Sink };

    /// <summary>The LLM input: token embeddings with every media slot replaced by its connector output.</summary>
    /// <returns><c>[batch, tokens, hidden]</c></returns>
    public Tensor Embed(MultimodalBatch batch, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var media = MediaContext(context);
        var embeddings = Llm.Embed(batch.Ids, context);                                                   // [batch, tokens, hidden]
        long hidden = embeddings.shape[2];
        var flat = embeddings.reshape(-1, hidden);                                                         // [batch·tokens, hidden]
        if (batch.Pixels is not null)
        {
            var features = Vision!.Encode(batch.Pixels, media);                                            // [images, encoder tokens, width]
            var projected = ImageConnector!.Connect(features, media);                                      // [images, slots, hidden]
            flat = flat.index_copy(0, batch.ImagePositions!, projected.reshape(-1, hidden).to(flat.dtype));
        }
        if (batch.Audio is not null)
        {
            var features = Audio!.Encode(batch.Audio, media);                                              // [clips, frames, width]
            flat = flat.index_copy(0, batch.AudioPositions!, cat(ConnectAudio(batch, features, media), 0).to(flat.dtype));
        }
        return flat.view(embeddings.shape).MoveToOuterDisposeScope();
    }

    /// <summary>Each clip's connector output <c>[slots, hidden]</c>, in clip order.</summary>
    /// <param name="batch">The batch the features came from.</param>
    /// <param name="features">The audio tower's output <c>[clips, frames, width]</c>.</param>
    /// <param name="media">The media context.</param>
    internal List<Tensor> ConnectAudio(MultimodalBatch batch, Tensor features, ForwardContext? media)
    {
        // Clips may keep different numbers of frames (trimmed Whisper outputs): connect each on its own.
        var pieces = new List<Tensor>(batch.AudioSlots.Count);
        for (int i = 0; i < batch.AudioSlots.Count; i++)
        {
            var clip = features.narrow(0, i, 1).narrow(1, 0, batch.AudioSlots[i].Media.EncoderTokens);   // [1, frames_i, width]
            pieces.Add(AudioConnector!.Connect(clip, media).reshape(-1, Llm.HiddenSize));                 // [slots_i, hidden]
        }
        return pieces;
    }

    /// <summary>Runs the LLM on a batch.</summary>
    public DecoderOutput Forward(MultimodalBatch batch, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        var embeddings = Embed(batch, context);
        var output = Llm.Forward(new DecoderInput { InputsEmbeds = embeddings, AttentionMask = batch.AttentionMask, Context = context });
        return new DecoderOutput(output.Logits.MoveToOuterDisposeScope(), output.LastHiddenState.MoveToOuterDisposeScope());
    }

    /// <summary>Mean next-token cross-entropy over labelled tokens (assistant answers by default).</summary>
    /// <returns>A scalar; zero (with a graph) when the batch has no labelled token.</returns>
    public Tensor Loss(MultimodalBatch batch, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        var logits = Forward(batch, context).Logits;                                                        // [batch, tokens, vocab]
        long vocab = logits.shape[2];
        var predicted = logits.narrow(1, 0, batch.Length - 1).reshape(-1, vocab);                          // position t predicts t + 1
        var targets = batch.Labels.narrow(1, 1, batch.Length - 1).reshape(-1);
        var loss = nn.functional.cross_entropy(predicted, targets, ignore_index: EncodedSample.IgnoreIndex);
        if (batch.LabelledTokens == 0)
            loss = logits.sum() * 0; // keep the graph; nothing to learn from this batch
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The head's class logits: its component's features pooled per sample. Only a head over <c>llm</c> runs
    /// the LLM; a tower or connector head stops there (the LLM is the expensive part).</summary>
    /// <returns><c>[batch, labels]</c></returns>
    /// <exception cref="InvalidOperationException">No head is attached.</exception>
    /// <exception cref="InvalidDataException">A sample without exactly one item of the pooled modality (named).</exception>
    public Tensor ClassifyLogits(MultimodalBatch batch, ForwardContext context)
    {
        var head = Head ?? throw new InvalidOperationException("the model has no classification head; attach one (RecipeModelBuilder does for classify stages).");
        using var scope = NewDisposeScope();
        var (features, valid) = HeadFeatures.Of(this, head.Component, batch, context);                // [batch, tokens, width], [batch, tokens]
        return head.forward(head.Pool(features, valid)).MoveToOuterDisposeScope();
    }

    /// <summary>Mean cross-entropy of the head's logits against the samples' class labels.</summary>
    /// <returns>A scalar.</returns>
    /// <exception cref="InvalidDataException">A sample has no class label, or one outside <c>[0, labels)</c> (the message names it).</exception>
    public Tensor ClassifyLoss(MultimodalBatch batch, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        var logits = ClassifyLogits(batch, context);                                                    // [batch, labels]
        return nn.functional.cross_entropy(logits, ClassTargets(batch)).MoveToOuterDisposeScope();
    }

    /// <summary>The batch's class labels <c>[batch]</c> (int64), checked against the head's label count.</summary>
    /// <exception cref="InvalidDataException">A sample has no class label, or one outside <c>[0, labels)</c> (the message names it).</exception>
    public Tensor ClassTargets(MultimodalBatch batch)
    {
        int labels = Head?.Labels ?? throw new InvalidOperationException("the model has no classification head.");
        var targets = new long[batch.Size];
        for (int i = 0; i < targets.Length; i++)
            targets[i] = batch.ClassLabels[i] is int label && label >= 0 && label < labels ? label
                : throw new InvalidDataException($"{batch.Sources[i]}: class label {batch.ClassLabels[i]?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing"}; " +
                                                 $"expected an integer 'label' in [0, {labels}).");
        return tensor(targets, device: Llm.Device);
    }

    /// <summary>Answers a prompt about images and sounds; a prompt without placeholders gets one per attached item prepended.
    /// Each placeholder is followed by a line break, as in training data (LLaVA's <c>&lt;image&gt;\n</c>): a typed
    /// <c>"&lt;image&gt; What colour?"</c> asks what the model was trained on, not a near miss of it.</summary>
    public string Generate(string prompt, IReadOnlyList<string> images, IReadOnlyList<string> audios, GenerationOptions options)
    {
        var text = PlaceholderLines().Replace(prompt, "$1\n");
        if (!text.Contains(MultimodalPromptEncoder.AudioPlaceholder, StringComparison.Ordinal))
            text = string.Concat(Enumerable.Repeat(MultimodalPromptEncoder.AudioPlaceholder + "\n", audios.Count)) + text;
        if (!text.Contains(MultimodalPromptEncoder.ImagePlaceholder, StringComparison.Ordinal))
            text = string.Concat(Enumerable.Repeat(MultimodalPromptEncoder.ImagePlaceholder + "\n", images.Count)) + text;
        return Answer([ChatMessage.User(text)], images, audios, options);
    }

    /// <summary>Continues a conversation (its last turn from the user) with the assistant's answer.</summary>
    public string Answer(IReadOnlyList<ChatMessage> conversation, IReadOnlyList<string> images, IReadOnlyList<string> audios, GenerationOptions options)
    {
        var sample = EncodeConversation(conversation, images, audios, "question", addGenerationPrompt: true)
            ?? throw new InvalidDataException($"the question is longer than max_seq_len {PromptEncoder.MaxSequenceLength}.");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var batch = Collate([sample]);
        var context = Context(batch, training: false);
        var embeddings = Embed(batch, context);
        var ids = TextGenerator.GenerateFromEmbeddings(Llm, embeddings, context,
            options.StopTokenIds.Count > 0 ? options : options with { StopTokenIds = StopTokenIds });
        return Tokenizer.Decode(ids, skipSpecialTokens: true);
    }

    /// <summary>Tokens that end an answer: the tokenizer's EOS and the chat templates' end-of-turn tokens it has
    /// (ChatML's <c>&lt;|im_end|&gt;</c>, Llama 3's <c>&lt;|eot_id|&gt;</c>).</summary>
    public IReadOnlyList<int> StopTokenIds =>
        new[] { Tokenizer.EosTokenId, Tokenizer.TokenToId("<|im_end|>"), Tokenizer.TokenToId("<|eot_id|>") }
            .Where(id => id is not null).Select(id => id!.Value).Distinct().ToList();

    // A placeholder and the spaces after it, unless a line break follows already.
    [System.Text.RegularExpressions.GeneratedRegex(@"(<image>|<audio>)[ \t]*(?![ \t]*\n)")]
    private static partial System.Text.RegularExpressions.Regex PlaceholderLines();

    /// <summary>Frees every part.</summary>
    public void Dispose()
    {
        Llm.Dispose();
        Vision?.Dispose();
        Audio?.Dispose();
        ImageConnector?.Dispose();
        AudioConnector?.Dispose();
        Head?.Dispose();
    }
}
