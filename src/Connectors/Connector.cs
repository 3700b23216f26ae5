using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// Turns a frozen encoder's features into LLM input embeddings: <c>[batch, inputTokens, InFeatures]</c> →
/// <c>[batch, OutputTokens(inputTokens), OutFeatures]</c>. The multimodal model splices the output in place of a media
/// item's placeholder tokens, so <see cref="OutputTokens"/> says how many placeholders one item expands to.
/// </summary>
/// <remarks>
/// <para><b>Padding.</b> When a batch holds items of different lengths, the caller pads the features and passes
/// <c>context.AttentionMask</c> <c>[batch, inputTokens]</c> (1 = real frame or patch, 0 = padding). Padded input never
/// changes the output tokens of real input: an item's first <c>OutputTokens(realLength)</c> output tokens equal those
/// of the item run alone. <see cref="OutputMask"/> says which output tokens are real.</para>
/// <para><b>Context.</b> Every projection is an <see cref="AdaptableLinear"/>, so adapters attach to connectors as to
/// the towers; each receives a context whose mask fits its own tokens. Routers put aux losses in
/// <c>context.Sink</c> under <c>&lt;<see cref="Name"/>&gt;/&lt;loss&gt;</c> in training passes.</para>
/// </remarks>
public abstract class Connector : nn.Module
{
    private readonly ConnectorOptions? options;

    /// <summary>Creates a connector that does not record its options (<see cref="Options"/> then throws).</summary>
    /// <param name="name">The module name.</param>
    protected Connector(string name) : base(name) { }

    /// <summary>Creates a connector and records the options that describe it.</summary>
    /// <param name="name">The module name.</param>
    /// <param name="options">What built it (for saving and recipes).</param>
    protected Connector(string name, ConnectorOptions options) : base(name) => this.options = options;

    /// <summary>The encoder width: the last dimension of the input features.</summary>
    public abstract long InFeatures { get; }

    /// <summary>The LLM hidden size: the last dimension of the output.</summary>
    public abstract long OutFeatures { get; }

    /// <summary>What built this connector (for saving and recipes).</summary>
    /// <exception cref="InvalidOperationException">A subclass built through the name-only constructor recorded none.</exception>
    public ConnectorOptions Options => options ?? throw new InvalidOperationException(
        $"{GetType().Name} '{Name}' was built without recording its options.");

    /// <summary>The name aux losses and routing statistics are reported under (<c>&lt;Name&gt;/load_balance</c>);
    /// the multimodal model sets it to the connector's path, e.g. <c>image_connector</c>.</summary>
    public string Name { get; set; } = "connector";

    /// <summary>How many LLM tokens one media item of <paramref name="inputTokens"/> frames or patches becomes.</summary>
    /// <param name="inputTokens">The item's number of encoder tokens (its real length, for placeholder expansion).</param>
    /// <exception cref="ArgumentException"><paramref name="inputTokens"/> does not fit this connector; the message names it.</exception>
    public abstract int OutputTokens(int inputTokens);

    /// <summary>Maps encoder features to LLM input embeddings.</summary>
    /// <param name="features"><c>[batch, inputTokens, InFeatures]</c>.</param>
    /// <param name="context">Optional: <c>AttentionMask</c> <c>[batch, inputTokens]</c> marks real input; the sink and
    /// training flag reach routers and adapters.</param>
    /// <returns><c>[batch, OutputTokens(inputTokens), OutFeatures]</c>.</returns>
    /// <exception cref="ArgumentException">The features or the mask have the wrong shape; the message names the connector.</exception>
    public abstract Tensor Forward(Tensor features, ForwardContext? context = null);

    /// <summary><see cref="Forward"/> on features of any floating dtype: they are cast to the connector's parameter
    /// dtype first, so a tower kept in bf16 feeds a connector that trains in fp32.</summary>
    /// <param name="features"><c>[batch, inputTokens, InFeatures]</c>.</param>
    /// <param name="context">As for <see cref="Forward"/>.</param>
    public Tensor Connect(Tensor features, ForwardContext? context = null)
    {
        var dtype = parameters().Select(p => p.dtype).FirstOrDefault(features.dtype);
        return dtype == features.dtype ? Forward(features, context) : Forward(features.to(dtype), context);
    }

    /// <summary>Which output tokens are real for a padded batch.</summary>
    /// <param name="inputMask"><c>[batch, inputTokens]</c> (bool or 0/1).</param>
    /// <returns><c>[batch, OutputTokens(inputTokens)]</c> bool: an output token is real when any input it reads is.</returns>
    public abstract Tensor OutputMask(Tensor inputMask);

    /// <summary>How messages name this connector: <c>mlp connector 'image_connector'</c>.</summary>
    protected string Describe => $"{options?.Type ?? GetType().Name} connector '{Name}'";

    /// <summary>Checks an input length for <see cref="OutputTokens"/> (at least one token).</summary>
    /// <exception cref="ArgumentException">Fewer than one token; the message names the connector.</exception>
    protected void CheckInputTokens(int inputTokens)
    {
        if (inputTokens < 1)
            throw new ArgumentException($"{Describe}: a media item needs at least one input token, got {inputTokens}.", nameof(inputTokens));
    }

    /// <summary>Checks that <paramref name="features"/> is <c>[batch, tokens, InFeatures]</c> and returns the real-input
    /// mask of <paramref name="context"/> as bool <c>[batch, tokens]</c>, or null when there is none.</summary>
    /// <exception cref="ArgumentException">A shape does not fit; the message names the connector and both shapes.</exception>
    protected Tensor? CheckInput(Tensor features, ForwardContext? context)
    {
        if (features.dim() != 3 || features.shape[2] != InFeatures || features.shape[1] < 1)
            throw new ArgumentException(
                $"{Describe}: features must be [batch, tokens >= 1, {InFeatures}], got [{string.Join(", ", features.shape)}].", nameof(features));
        if (context?.AttentionMask is not { } mask)
            return null;
        if (mask.dim() != 2 || mask.shape[0] != features.shape[0] || mask.shape[1] != features.shape[1])
            throw new ArgumentException(
                $"{Describe}: the attention mask must be [{features.shape[0]}, {features.shape[1]}] like the features, got [{string.Join(", ", mask.shape)}].",
                nameof(context));
        return mask.dtype == ScalarType.Bool ? mask.alias() : mask.ne(0);
    }
}
