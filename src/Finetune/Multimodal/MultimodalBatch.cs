using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>
/// A collated batch: right-padded token tensors and the batch's media stacked per modality, with the flat positions
/// (<c>sample · length + token</c>) their connector outputs go to. Owns its tensors.
/// </summary>
public sealed class MultimodalBatch : IDisposable
{
    private MultimodalBatch(Tensor ids, Tensor labels, Tensor attentionMask, Tensor modalities, Tensor promptMask,
        Tensor? pixels, Tensor? imagePositions, Tensor? audio, IReadOnlyList<MediaSlot> audioSlots, Tensor? audioPositions, IReadOnlyList<string> sources,
        IReadOnlyList<EncodedSample> samples)
    {
        Ids = ids;
        Labels = labels;
        AttentionMask = attentionMask;
        Modalities = modalities;
        PromptMask = promptMask;
        Pixels = pixels;
        ImagePositions = imagePositions;
        Audio = audio;
        AudioSlots = audioSlots;
        AudioPositions = audioPositions;
        Sources = sources;
        ClassLabels = samples.Select(s => s.ClassLabel).ToList();
        ImagesPerSample = samples.Select(s => s.Slots.Count(slot => slot.Media.Modality == Modality.Image)).ToList();
        AudiosPerSample = samples.Select(s => s.Slots.Count(slot => slot.Media.Modality == Modality.Audio)).ToList();
    }

    /// <summary>Token ids <c>[batch, tokens]</c> (int64).</summary>
    public Tensor Ids { get; }
    /// <summary>Labels <c>[batch, tokens]</c> (int64; -100 where no loss).</summary>
    public Tensor Labels { get; }
    /// <summary>1 for real tokens, 0 for padding <c>[batch, tokens]</c>.</summary>
    public Tensor AttentionMask { get; }
    /// <summary>Per-token modality ids <c>[batch, tokens]</c>.</summary>
    public Tensor Modalities { get; }
    /// <summary>Prompt text tokens (routing keys are their mean embedding) <c>[batch, tokens]</c> bool.</summary>
    public Tensor PromptMask { get; }
    /// <summary>Images <c>[images, 3, H, W]</c>, or null.</summary>
    public Tensor? Pixels { get; }
    /// <summary>Flat positions of all image slots, in image order then slot order.</summary>
    public Tensor? ImagePositions { get; }
    /// <summary>Audio inputs <c>[clips, ...]</c>, or null.</summary>
    public Tensor? Audio { get; }
    /// <summary>Each clip's slot (its count may differ per clip when outputs are trimmed).</summary>
    public IReadOnlyList<MediaSlot> AudioSlots { get; }
    /// <summary>Flat positions of all audio slots, in clip order then slot order.</summary>
    public Tensor? AudioPositions { get; }
    /// <summary>Dataset file and row of each sample.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>Each sample's class label (for <c>classify</c> stages), or null where it has none.</summary>
    public IReadOnlyList<int?> ClassLabels { get; }
    /// <summary>Images per sample.</summary>
    public IReadOnlyList<int> ImagesPerSample { get; }
    /// <summary>Audio clips per sample.</summary>
    public IReadOnlyList<int> AudiosPerSample { get; }

    /// <summary>Samples in the batch.</summary>
    public long Size => Ids.shape[0];

    /// <summary>Tokens per sample (after padding).</summary>
    public long Length => Ids.shape[1];

    /// <summary>Tokens that carry a label.</summary>
    public long LabelledTokens { get; private init; }

    /// <summary>Right-pads and stacks encoded samples.</summary>
    /// <param name="samples">At least one sample.</param>
    /// <param name="padId">The id padding uses (masked anyway).</param>
    /// <param name="device">Where the tensors go.</param>
    public static MultimodalBatch Collate(IReadOnlyList<EncodedSample> samples, int padId, Device? device = null)
    {
        if (samples.Count == 0)
            throw new ArgumentException("A batch needs at least one sample.");
        int batch = samples.Count, length = samples.Max(s => s.Length);
        var ids = new long[batch, length];
        var labels = new long[batch, length];
        var mask = new long[batch, length];
        var modalities = new long[batch, length];
        var prompt = new bool[batch, length];
        var pixels = new List<PreparedMedia>();
        var imagePositions = new List<long>();
        var audio = new List<PreparedMedia>();
        var audioSlots = new List<MediaSlot>();
        var audioPositions = new List<long>();
        long labelled = 0;
        for (int b = 0; b < batch; b++)
        {
            var s = samples[b];
            for (int t = 0; t < length; t++)
            {
                bool real = t < s.Length;
                ids[b, t] = real ? s.Ids[t] : padId;
                labels[b, t] = real ? s.Labels[t] : EncodedSample.IgnoreIndex;
                mask[b, t] = real ? 1 : 0;
                modalities[b, t] = real ? s.Modalities[t] : (long)Modality.Text;
                prompt[b, t] = real && s.PromptMask[t];
                if (real && s.Labels[t] != EncodedSample.IgnoreIndex)
                    labelled++;
            }
            foreach (var slot in s.Slots)
            {
                var positions = Enumerable.Range(slot.Start, slot.Count).Select(t => (long)b * length + t);
                if (slot.Media.Modality == Modality.Image)
                {
                    pixels.Add(slot.Media);
                    imagePositions.AddRange(positions);
                }
                else
                {
                    audio.Add(slot.Media);
                    audioSlots.Add(slot);
                    audioPositions.AddRange(positions);
                }
            }
        }
        return new MultimodalBatch(
            tensor(ids, device: device), tensor(labels, device: device), tensor(mask, device: device), tensor(modalities, device: device),
            tensor(prompt, device: device),
            Stack(pixels, device), imagePositions.Count == 0 ? null : tensor(imagePositions.ToArray(), device: device),
            Stack(audio, device), audioSlots, audioPositions.Count == 0 ? null : tensor(audioPositions.ToArray(), device: device),
            samples.Select(s => s.Source).ToList(), samples)
        { LabelledTokens = labelled };
    }

    // Media of one modality as [n, ...shape]; every item must have the same shape (the preprocessors make sure of it).
    private static Tensor? Stack(List<PreparedMedia> media, Device? device)
    {
        if (media.Count == 0)
            return null;
        var shape = media[0].Shape;
        foreach (var m in media)
            if (!m.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{m.Source}: preprocessed to [{string.Join(", ", m.Shape)}] but {media[0].Source} to [{string.Join(", ", shape)}]; a batch needs one size.");
        var values = new float[media.Count * media[0].Values.Length];
        for (int i = 0; i < media.Count; i++)
            media[i].Values.CopyTo(values, i * media[0].Values.Length);
        return tensor(values, [media.Count, .. shape], device: device);
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in new[] { Ids, Labels, AttentionMask, Modalities, PromptMask, Pixels, ImagePositions, Audio, AudioPositions })
            t?.Dispose();
    }
}
