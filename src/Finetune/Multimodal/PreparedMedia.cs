using MMAdapt.Core.Modules;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>
/// One image or audio clip, decoded and preprocessed into plain arrays (so preparation can run on worker threads
/// without touching TorchSharp dispose scopes), with the number of encoder tokens it will produce.
/// </summary>
/// <param name="Modality">Image or audio.</param>
/// <param name="Source">The file, for messages.</param>
/// <param name="Values">The preprocessed input, flattened (pixels [3, H, W], log-mel [mels, frames] or fbank [frames, mels]).</param>
/// <param name="Shape">The input's shape, without a batch dimension.</param>
/// <param name="EncoderTokens">How many feature vectors the tower gives for it (before the connector).</param>
public sealed record PreparedMedia(Modality Modality, string Source, float[] Values, long[] Shape, int EncoderTokens);
