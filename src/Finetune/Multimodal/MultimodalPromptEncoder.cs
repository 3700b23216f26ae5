using System.Text.RegularExpressions;
using MMAdapt.Core.Diagnostics;
using MMAdapt.Core.Modules;
using MMAdapt.Models.Chat;
using MMAdapt.Models.Tokenization;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>What to do with a sample longer than the model's maximum sequence length.</summary>
public enum TruncationPolicy
{
    /// <summary>Skip the sample with a warning.</summary>
    Drop,
    /// <summary>Fail, naming the sample.</summary>
    Error,
}

/// <summary>
/// Turns a conversation with <c>&lt;image&gt;</c>/<c>&lt;audio&gt;</c> placeholders into token ids: the chat template lays the
/// turns out, text is split at the placeholders before tokenising (nothing is added to the vocabulary), and each
/// placeholder becomes as many slots as the connector makes tokens for that media item.
/// </summary>
public sealed partial class MultimodalPromptEncoder
{
    /// <summary>The image placeholder.</summary>
    public const string ImagePlaceholder = "<image>";

    /// <summary>The audio placeholder.</summary>
    public const string AudioPlaceholder = "<audio>";

    private readonly TextTokenizer tokenizer;
    private readonly ChatTemplate template;

    /// <summary>Creates the encoder.</summary>
    /// <param name="tokenizer">The LLM's tokenizer.</param>
    /// <param name="template">The chat template.</param>
    /// <param name="maxSequenceLength">Longest sequence kept.</param>
    /// <param name="truncation">Drop or fail samples that do not fit.</param>
    /// <param name="lossOnAllTokens">Loss on every text token, not only assistant answers.</param>
    public MultimodalPromptEncoder(TextTokenizer tokenizer, ChatTemplate template, int maxSequenceLength, TruncationPolicy truncation = TruncationPolicy.Drop,
        bool lossOnAllTokens = false)
    {
        if (maxSequenceLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxSequenceLength), $"max_seq_len must be positive, got {maxSequenceLength}.");
        this.tokenizer = tokenizer;
        this.template = template;
        MaxSequenceLength = maxSequenceLength;
        Truncation = truncation;
        LossOnAllTokens = lossOnAllTokens;
    }

    /// <summary>Longest sequence kept.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Drop or fail samples that do not fit.</summary>
    public TruncationPolicy Truncation { get; }

    /// <summary>Loss on every text token.</summary>
    public bool LossOnAllTokens { get; }

    /// <summary>Encodes one conversation.</summary>
    /// <param name="messages">The turns.</param>
    /// <param name="media">The prepared media, in placeholder order (images and audio in the order their placeholders appear).</param>
    /// <param name="slotCount">How many LLM tokens a media item becomes (the connector's output count).</param>
    /// <param name="source">The sample's file and row, for messages.</param>
    /// <param name="addGenerationPrompt">For inference: end with the assistant's opening.</param>
    /// <returns>The encoded sample, or null when it is too long and the policy is to drop it.</returns>
    /// <exception cref="InvalidDataException">Placeholders and media do not match, or the sample is too long and the policy is to fail.</exception>
    public EncodedSample? Encode(IReadOnlyList<ChatMessage> messages, IReadOnlyList<PreparedMedia> media, Func<PreparedMedia, int> slotCount, string source,
        bool addGenerationPrompt = false)
    {
        var layout = template.Layout(messages, addGenerationPrompt);
        var segments = new List<PromptSegment>();
        var mediaAt = new Dictionary<int, PreparedMedia>();
        int used = 0;
        foreach (var segment in layout.Segments)
        {
            if (segment.Kind != PromptSegmentKind.Text || !segment.Text.Contains('<'))
            {
                segments.Add(segment);
                continue;
            }
            int last = 0;
            foreach (Match match in Placeholder().Matches(segment.Text))
            {
                segments.Add(segment with { Text = segment.Text[last..match.Index] });
                var modality = match.Value == ImagePlaceholder ? Modality.Image : Modality.Audio;
                if (used >= media.Count)
                    throw new InvalidDataException($"{source}: more {match.Value} placeholders than attached media ({media.Count}).");
                if (media[used].Modality != modality)
                    throw new InvalidDataException($"{source}: placeholder {used + 1} is {match.Value} but media item {used + 1} ({media[used].Source}) is {media[used].Modality.ToString().ToLowerInvariant()}.");
                mediaAt[segments.Count] = media[used++];
                segments.Add(segment with { Text = "" }); // the media slot's position in the segment list
                last = match.Index + match.Length;
            }
            segments.Add(segment with { Text = segment.Text[last..] });
        }
        if (used != media.Count)
            throw new InvalidDataException($"{source}: {media.Count} media item(s) attached but {used} placeholder(s) in the text.");

        var encoded = PromptSegmentEncoder.Encode(tokenizer, segments);
        int pad = tokenizer.PadTokenId ?? tokenizer.EosTokenId ?? 0;
        var ids = new List<int>();
        var labels = new List<int>();
        var modalities = new List<long>();
        var prompt = new List<bool>();
        var slots = new List<MediaSlot>();
        for (int i = 0; i < segments.Count; i++)
        {
            if (mediaAt.TryGetValue(i, out var item))
            {
                int count = slotCount(item);
                slots.Add(new MediaSlot(ids.Count, count, item));
                for (int k = 0; k < count; k++)
                {
                    ids.Add(pad);
                    labels.Add(EncodedSample.IgnoreIndex);
                    modalities.Add((long)item.Modality);
                    prompt.Add(false);
                }
                continue;
            }
            var (start, end) = encoded.Ranges[i];
            bool answer = segments[i].IsAnswer || LossOnAllTokens;
            for (int t = start; t < end; t++)
            {
                ids.Add(encoded.Ids[t]);
                labels.Add(answer ? encoded.Ids[t] : EncodedSample.IgnoreIndex);
                modalities.Add((long)Modality.Text);
                prompt.Add(!segments[i].IsAnswer && segments[i].Kind == PromptSegmentKind.Text);
            }
        }

        if (ids.Count > MaxSequenceLength)
        {
            // Cut the tail only when no media slot crosses the cut; otherwise the sample cannot be kept.
            int mediaEnd = slots.Count == 0 ? 0 : slots[^1].Start + slots[^1].Count;
            bool keepsAnswers = labels.Take(MaxSequenceLength).Any(l => l != EncodedSample.IgnoreIndex) || addGenerationPrompt;
            if (mediaEnd > MaxSequenceLength || !keepsAnswers)
            {
                var reason = $"{source}: {ids.Count} tokens exceed max_seq_len {MaxSequenceLength}" +
                             (mediaEnd > MaxSequenceLength ? $" and media run to token {mediaEnd}" : " and no answer token would remain");
                if (Truncation == TruncationPolicy.Error)
                    throw new InvalidDataException(reason + ".");
                Log.Warning(reason + "; the sample is skipped.");
                return null;
            }
            ids.RemoveRange(MaxSequenceLength, ids.Count - MaxSequenceLength);
            labels.RemoveRange(MaxSequenceLength, labels.Count - MaxSequenceLength);
            modalities.RemoveRange(MaxSequenceLength, modalities.Count - MaxSequenceLength);
            prompt.RemoveRange(MaxSequenceLength, prompt.Count - MaxSequenceLength);
        }
        return new EncodedSample([.. ids], [.. labels], [.. modalities], [.. prompt], slots, source);
    }

    [GeneratedRegex("<image>|<audio>")]
    private static partial Regex Placeholder();
}
