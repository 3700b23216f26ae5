using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Images;
using MMAdapt.Encoders.Vision;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>The image side of a multimodal model: preprocessing, the frozen tower and which features it hands on.</summary>
public sealed class VisionPart : IDisposable
{
    /// <summary>Creates the part from its pieces.</summary>
    public VisionPart(VisionTower tower, ImagePreprocessor preprocessor, VisionFeatureSelection selection)
    {
        Tower = tower;
        Preprocessor = preprocessor;
        Selection = selection;
        EncoderTokens = tower.Config.Patches + (tower.Config.HasClassToken && selection.KeepClassToken ? 1 : 0);
    }

    /// <summary>Loads the tower and its preprocessing from a CLIP, SigLIP or LLaVA folder.</summary>
    public static VisionPart Load(string folder, VisionFeatureSelection selection, bool padToSquare = false, ScalarType? dtype = null, Device? device = null) =>
        new(VisionTower.FromPretrained(folder, dtype, device), ImagePreprocessor.FromPretrained(folder, padToSquare), selection);

    /// <summary>The frozen tower.</summary>
    public VisionTower Tower { get; }

    /// <summary>Decoding and resizing.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>Which layer and tokens are handed to the connector.</summary>
    public VisionFeatureSelection Selection { get; }

    /// <summary>Feature vectors per image.</summary>
    public int EncoderTokens { get; }

    /// <summary>Decodes and preprocesses one image file (thread-safe; no tensors outlive the call).</summary>
    public PreparedMedia Prepare(string file)
    {
        using var scope = NewDisposeScope();
        var pixels = Preprocessor.Preprocess(ImageDecoder.Decode(file)).contiguous();   // [3, H, W]
        return new PreparedMedia(Modality.Image, file, pixels.data<float>().ToArray(), pixels.shape, EncoderTokens);
    }

    /// <summary>Features of a batch of prepared images: <c>[n, EncoderTokens, hidden]</c>.</summary>
    public Tensor Encode(Tensor pixelValues, ForwardContext? context) => Tower.SelectFeatures(pixelValues, Selection, context);

    /// <summary>Frees the tower.</summary>
    public void Dispose() => Tower.Dispose();
}
