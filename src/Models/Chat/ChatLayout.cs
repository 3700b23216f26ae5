using System.Text;
using MMAdapt.Models.Tokenization;

namespace MMAdapt.Models.Chat;

/// <summary>A conversation laid out by a template: its segments in order and the role of each turn.</summary>
/// <param name="Segments">The prompt's pieces, in order.</param>
/// <param name="TurnRoles">Role of turn <c>i</c> (the <see cref="PromptSegment.Turn"/> index).</param>
public sealed record ChatLayout(IReadOnlyList<PromptSegment> Segments, IReadOnlyList<string> TurnRoles)
{
    /// <summary>
    /// The text form of the prompt. With a tokenizer, BOS/EOS segments show its BOS/EOS text and
    /// <see cref="PromptSegmentKind.DefaultBos"/> shows BOS when the tokenizer adds it; without one they show the
    /// template's default text, and <see cref="PromptSegmentKind.DefaultBos"/> shows nothing.
    /// </summary>
    public string Render(TextTokenizer? tokenizer = null)
    {
        var text = new StringBuilder();
        foreach (var segment in Segments)
        {
            text.Append(segment.Kind switch
            {
                PromptSegmentKind.Bos => tokenizer?.BosToken ?? segment.Text,
                PromptSegmentKind.Eos => tokenizer?.EosToken ?? segment.Text,
                PromptSegmentKind.DefaultBos => tokenizer is { AddBosToken: true } ? tokenizer.BosToken : "",
                _ => segment.Text,
            });
        }

        return text.ToString();
    }
}
