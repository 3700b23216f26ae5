using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>
/// The token features a <see cref="ClassificationHead"/> pools, per component: a tower's output (<c>audio</c>,
/// <c>vision</c>), a connector's output (<c>connector:audio</c>, <c>connector:image</c>), or the LLM's last hidden state
/// (<c>llm</c>). Tower and connector features need exactly one item of their modality per sample, so item i is sample i.
/// </summary>
internal static class HeadFeatures
{
    /// <summary>The feature width of <paramref name="component"/> in <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The model has no such component.</exception>
    public static int Width(MultimodalModel model, string component) => component switch
    {
        "llm" => model.Llm.HiddenSize,
        "audio" when model.Audio is not null => model.Audio.HiddenSize,
        "vision" when model.Vision is not null => model.Vision.Tower.HiddenSize,
        "connector:audio" when model.AudioConnector is not null => (int)model.AudioConnector.OutFeatures,
        "connector:image" when model.ImageConnector is not null => (int)model.ImageConnector.OutFeatures,
        _ => throw new ArgumentException($"a classification head cannot pool '{component}': the model has " +
                                         $"{string.Join(", ", model.Components.Select(c => c.Component).Where(c => c != "head"))}."),
    };

    /// <summary>The features of <paramref name="component"/> for <paramref name="batch"/>.</summary>
    /// <returns>Features <c>[batch, tokens, width]</c> and which tokens are real <c>[batch, tokens]</c> (null: all), in the
    /// caller's dispose scope.</returns>
    /// <exception cref="InvalidDataException">A sample does not have exactly one item of the pooled modality.</exception>
    public static (Tensor Features, Tensor? Valid) Of(MultimodalModel model, string component, MultimodalBatch batch, ForwardContext context)
    {
        var media = MultimodalModel.MediaContext(context);
        switch (component)
        {
            case "llm":
                return (model.Forward(batch, context).LastHiddenState, batch.AttentionMask);             // [batch, tokens, hidden]
            case "vision" or "connector:image":
            {
                RequireOne(batch, batch.ImagesPerSample, batch.Pixels, "image", component);
                var features = model.Vision!.Encode(batch.Pixels!, media);                               // [images, tokens, width]
                return (component == "vision" ? features : model.ImageConnector!.Connect(features, media), null);
            }
            case "audio" or "connector:audio":
            {
                RequireOne(batch, batch.AudiosPerSample, batch.Audio, "audio clip", component);
                var features = model.Audio!.Encode(batch.Audio!, media);                                 // [clips, frames, width]
                if (component == "audio")
                    return (features, Lengths(batch.AudioSlots.Select(s => (long)s.Media.EncoderTokens).ToArray(), features.shape[1], features.device));
                var pieces = model.ConnectAudio(batch, features, media);                                 // each [slots_i, hidden]
                long longest = pieces.Max(p => p.shape[0]);
                var padded = stack(pieces.Select(p => nn.functional.pad(p, [0, 0, 0, longest - p.shape[0]])).ToArray());  // [clips, slots, hidden]
                return (padded, Lengths(pieces.Select(p => p.shape[0]).ToArray(), longest, features.device));
            }
            default:
                throw new ArgumentException($"a classification head cannot pool '{component}'; expected llm, vision, audio, connector:image or connector:audio.");
        }
    }

    private static void RequireOne(MultimodalBatch batch, IReadOnlyList<int> perSample, Tensor? stacked, string item, string component)
    {
        for (int i = 0; i < perSample.Count; i++)
            if (perSample[i] != 1)
                throw new InvalidDataException($"{batch.Sources[i]}: has {perSample[i]} {item}(s); a head over '{component}' needs exactly one per sample.");
        if (stacked is null)
            throw new InvalidDataException($"{batch.Sources[0]}: no {item} in the batch for the head over '{component}'.");
    }

    // [items, tokens] mask: 1 for the first lengths[i] tokens of item i.
    private static Tensor Lengths(long[] lengths, long tokens, Device device) =>
        arange(tokens, device: device).unsqueeze(0) < tensor(lengths, device: device).unsqueeze(1);
}
