using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Vision;

/// <summary>
/// Patchify and position: a strided convolution turns <c>[batch, 3, H, W]</c> into one token per patch,
/// CLIP prepends a learned class token, and learned position embeddings are added.
/// Keys: <c>patch_embedding</c> (bias only for SigLIP), <c>class_embedding</c> (CLIP), <c>position_embedding.weight</c>.
/// </summary>
public sealed class VisionEmbeddings : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Conv2d patch_embedding;
    private readonly Parameter? class_embedding;
    private readonly Embedding position_embedding;
#pragma warning restore IDE1006
    private readonly int patchSize;

    /// <summary>Creates the embeddings of a tower.</summary>
    public VisionEmbeddings(VisionTowerConfig config, ScalarType dtype, Device? device) : base(nameof(VisionEmbeddings))
    {
        patchSize = config.PatchSize;
        patch_embedding = nn.Conv2d(config.Channels, config.HiddenSize, config.PatchSize, stride: config.PatchSize,
            bias: config.Family == VisionFamily.Siglip, device: device, dtype: dtype);
        if (config.HasClassToken)
            class_embedding = new Parameter(zeros(config.HiddenSize, dtype: dtype, device: device));
        position_embedding = nn.Embedding(config.Patches + (config.HasClassToken ? 1 : 0), config.HiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary><c>[batch, channels, H, W]</c> → <c>[batch, tokens, hidden]</c> (tokens = patches, + 1 with a class token).</summary>
    public Tensor Forward(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        if (pixelValues.dim() != 4 || pixelValues.shape[2] % patchSize != 0 || pixelValues.shape[3] % patchSize != 0)
            throw new ArgumentException($"pixel_values must be [batch, channels, H, W] with H and W multiples of {patchSize}; got [{string.Join(", ", pixelValues.shape)}].");
        long batch = pixelValues.shape[0];
        var patches = patch_embedding.call(pixelValues.to(patch_embedding.weight!.dtype)); // [batch, hidden, H/p, W/p]
        var tokens = patches.flatten(2).transpose(1, 2);                                 // [batch, patches, hidden]
        if (class_embedding is not null)
        {
            var cls = class_embedding.view(1, 1, -1).expand(batch, 1, -1);               // [batch, 1, hidden]
            tokens = cat([cls, tokens], 1);                                             // [batch, 1 + patches, hidden]
        }
        if (tokens.shape[1] != position_embedding.weight!.shape[0])
            throw new ArgumentException($"the image gives {tokens.shape[1]} tokens but the tower has {position_embedding.weight.shape[0]} positions " +
                                        "(resize images to the tower's image_size).");
        return (tokens + position_embedding.weight.unsqueeze(0)).MoveToOuterDisposeScope();
    }
}
