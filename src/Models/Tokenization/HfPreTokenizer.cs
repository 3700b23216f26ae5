using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// Hugging Face pre-tokenisation for byte-level BPE as a Microsoft.ML.Tokenizers <see cref="PreTokenizer"/>:
/// first the added tokens are cut out (longest match first), then each ordinary run is split by the
/// <c>Split</c> regex steps in order: each match and each stretch between matches becomes a piece (HF's
/// <c>Isolated</c> behaviour), or the matches are dropped as delimiters (<c>Removed</c>).
/// </summary>
/// <remarks>
/// Written here rather than using <see cref="RegexPreTokenizer"/> because that one (2.0.1) drops the text
/// between regex matches, cannot chain several Split steps, and matches special tokens by the first listed
/// alternative instead of the longest. The regexes run on .NET's engine, which sees UTF-16 code units:
/// letters and digits outside the Basic Multilingual Plane (e.g. U+1D400) do not match <c>\p{L}</c>/<c>\p{N}</c>
/// as they do in HF's Oniguruma and in tiktoken; Microsoft.ML.Tokenizers' own tiktoken shares this limit.
/// </remarks>
internal sealed class HfPreTokenizer : PreTokenizer
{
    /// <summary>GPT-2's pattern, used by HF's ByteLevel pre-tokenizer when <c>use_regex</c> is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(30);
    private readonly AddedTokenSplitter? _addedTokens;
    private readonly IReadOnlyList<(Regex Regex, bool RemoveMatches)> _steps;

    /// <summary>Creates the pre-tokenizer.</summary>
    /// <param name="addedTokens">Tokens cut out first, or null.</param>
    /// <param name="steps">Split steps applied in order; <c>RemoveMatches</c> drops the matches (HF <c>Removed</c>).</param>
    public HfPreTokenizer(AddedTokenSplitter? addedTokens, IReadOnlyList<(Regex Regex, bool RemoveMatches)> steps)
    {
        _addedTokens = addedTokens is { IsEmpty: false } ? addedTokens : null;
        _steps = steps;
    }

    /// <summary>Compiles a pattern the way every Split step uses it.</summary>
    public static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, MatchTimeout);

    /// <inheritdoc />
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        return _addedTokens is null ? SplitOrdinary(text) : SplitWithAddedTokens(text);
    }

    /// <inheritdoc />
    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => PreTokenize(text.ToString());

    /// <summary>Splits text that holds no added token (offsets into <paramref name="text"/>).</summary>
    public IReadOnlyList<(int Offset, int Length)> SplitOrdinary(string text)
    {
        List<(int Offset, int Length)> pieces = text.Length == 0 ? [] : [(0, text.Length)];
        foreach (var (regex, removeMatches) in _steps)
        {
            var next = new List<(int Offset, int Length)>(pieces.Count * 2);
            foreach (var (offset, length) in pieces)
            {
                SplitOne(regex, removeMatches, text.AsSpan(offset, length), offset, next);
            }

            pieces = next;
        }

        return pieces;
    }

    private IEnumerable<(int Offset, int Length)> SplitWithAddedTokens(string text)
    {
        foreach (var (start, length, token) in _addedTokens!.Split(text))
        {
            if (token is not null)
            {
                yield return (start, length);
                continue;
            }

            foreach (var (offset, pieceLength) in SplitOrdinary(text.Substring(start, length)))
            {
                yield return (start + offset, pieceLength);
            }
        }
    }

    // The piece is matched on its own (as HF does), so look-arounds cannot see past its ends.
    private static void SplitOne(Regex regex, bool removeMatches, ReadOnlySpan<char> piece, int offset, List<(int, int)> output)
    {
        var cut = 0;
        foreach (var match in regex.EnumerateMatches(piece))
        {
            if (match.Length == 0)
            {
                continue;
            }

            if (match.Index > cut)
            {
                output.Add((offset + cut, match.Index - cut));
            }

            if (!removeMatches)
            {
                output.Add((offset + match.Index, match.Length));
            }

            cut = match.Index + match.Length;
        }

        if (cut < piece.Length)
        {
            output.Add((offset + cut, piece.Length - cut));
        }
    }
}
