using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Ast;

/// <summary>The patch projection of AST (key <c>projection</c>): a strided 2-D convolution over (mel, time).</summary>
public sealed class AstPatchEmbeddings : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Conv2d projection;
#pragma warning restore IDE1006

    /// <summary>Creates the projection.</summary>
    public AstPatchEmbeddings(AstConfig config, ScalarType dtype, Device? device) : base(nameof(AstPatchEmbeddings))
    {
        projection = nn.Conv2d(1, config.HiddenSize, (config.PatchSize, config.PatchSize),
            stride: (config.FrequencyStride, config.TimeStride), device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary><c>[batch, 1, mel, frames]</c> → <c>[batch, patches, hidden]</c>.</summary>
    public Tensor Forward(Tensor spectrogram)
    {
        using var scope = NewDisposeScope();
        var patches = projection.call(spectrogram);                          // [batch, hidden, freqPatches, timePatches]
        return patches.flatten(2).transpose(1, 2).MoveToOuterDisposeScope(); // [batch, patches, hidden]
    }
}

/// <summary>
/// AST embeddings (Gong et al., 2021): patches of the (mel × time) spectrogram, a class and a distillation
/// token (DeiT), and learned positions. Keys: <c>cls_token</c>, <c>distillation_token</c>,
/// <c>position_embeddings</c>, <c>patch_embeddings.projection</c>.
/// </summary>
public sealed class AstEmbeddings : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter cls_token, distillation_token, position_embeddings;
    private readonly AstPatchEmbeddings patch_embeddings;
#pragma warning restore IDE1006
    private readonly AstConfig config;

    /// <summary>Creates the embeddings.</summary>
    public AstEmbeddings(AstConfig config, ScalarType dtype, Device? device) : base(nameof(AstEmbeddings))
    {
        this.config = config;
        cls_token = new Parameter(zeros(1, 1, config.HiddenSize, dtype: dtype, device: device));
        distillation_token = new Parameter(zeros(1, 1, config.HiddenSize, dtype: dtype, device: device));
        position_embeddings = new Parameter(zeros(1, config.Tokens, config.HiddenSize, dtype: dtype, device: device));
        patch_embeddings = new AstPatchEmbeddings(config, dtype, device);
        RegisterComponents();
    }

    /// <summary><c>input_values [batch, max_length, mel bins]</c> → <c>[batch, 2 + patches, hidden]</c>.</summary>
    public Tensor Forward(Tensor inputValues)
    {
        if (inputValues.dim() != 3 || inputValues.shape[1] != config.MaxLength || inputValues.shape[2] != config.NumMelBins)
            throw new ArgumentException($"input_values must be [batch, {config.MaxLength}, {config.NumMelBins}] (frames, mel bins); " +
                                        $"got [{string.Join(", ", inputValues.shape)}].");
        using var scope = NewDisposeScope();
        long batch = inputValues.shape[0];
        var spectrogram = inputValues.to(cls_token.dtype).unsqueeze(1).transpose(2, 3); // [batch, 1, mel, frames]
        var patches = patch_embeddings.Forward(spectrogram);                          // [batch, patches, hidden]
        var tokens = cat([cls_token.expand(batch, -1, -1), distillation_token.expand(batch, -1, -1), patches], 1);
        return (tokens + position_embeddings).MoveToOuterDisposeScope();              // [batch, 2 + patches, hidden]
    }
}
