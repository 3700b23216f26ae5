using MMAdapt.Models.Tokenization;

namespace MMAdapt.Models.Chat;

/// <summary>The ids of a list of <see cref="PromptSegment"/>s and the id range each segment produced.</summary>
/// <param name="Ids">Token ids, <c>[tokens]</c>.</param>
/// <param name="Ranges">Per segment, its ids' range <c>[Start, End)</c> (empty for segments that produce none).</param>
public sealed record SegmentedIds(IReadOnlyList<int> Ids, IReadOnlyList<(int Start, int End)> Ranges);

/// <summary>
/// Encodes prompt segments one by one and concatenates their ids, so that turn boundaries (and, later,
/// multimodal placeholders) always fall on token boundaries.
/// </summary>
/// <remarks>
/// A text segment that directly follows another text segment is encoded with
/// <see cref="TextTokenizer.EncodeContinuation"/> (no SentencePiece dummy prefix), so the ids equal those of
/// encoding the run of text piece by piece; a text segment at the start or after a token starts afresh, as
/// Hugging Face does after an added token. Byte-level BPE merges never cross a segment boundary.
/// </remarks>
public static class PromptSegmentEncoder
{
    /// <summary>Encodes <paramref name="segments"/> with <paramref name="tokenizer"/>.</summary>
    /// <exception cref="InvalidOperationException">A token, BOS or EOS segment names a token the tokenizer does not have.</exception>
    public static SegmentedIds Encode(TextTokenizer tokenizer, IReadOnlyList<PromptSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(segments);
        var ids = new List<int>();
        var ranges = new List<(int, int)>(segments.Count);
        var afterText = false;
        foreach (var segment in segments)
        {
            var start = ids.Count;
            switch (segment.Kind)
            {
                case PromptSegmentKind.Text:
                    if (segment.Text.Length > 0)
                    {
                        ids.AddRange(afterText ? tokenizer.EncodeContinuation(segment.Text) : tokenizer.Encode(segment.Text));
                        afterText = true;
                    }

                    break;
                case PromptSegmentKind.Token:
                    ids.Add(tokenizer.TokenToId(segment.Text)
                        ?? throw new InvalidOperationException($"The prompt needs the token '{segment.Text}', which the tokenizer does not have."));
                    afterText = false;
                    break;
                case PromptSegmentKind.Bos:
                    ids.Add(tokenizer.BosTokenId ?? throw new InvalidOperationException("The prompt needs a BOS token, which the tokenizer does not have."));
                    afterText = false;
                    break;
                case PromptSegmentKind.Eos:
                    ids.Add(tokenizer.EosTokenId ?? throw new InvalidOperationException("The prompt needs an EOS token, which the tokenizer does not have."));
                    afterText = false;
                    break;
                case PromptSegmentKind.DefaultBos:
                    if (tokenizer.AddBosToken)
                    {
                        ids.Add(tokenizer.BosTokenId!.Value);
                        afterText = false;
                    }

                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(segments), segment.Kind, "Unknown segment kind.");
            }

            ranges.Add((start, ids.Count));
        }

        return new SegmentedIds(ids, ranges);
    }
}
