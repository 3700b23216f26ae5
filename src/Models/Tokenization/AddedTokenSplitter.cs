namespace MMAdapt.Models.Tokenization;

/// <summary>
/// Cuts text at added tokens, as Hugging Face tokenizers do before normalisation and pre-tokenisation:
/// scanning left to right, the longest added token starting at the earliest position wins.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    /// <summary>Builds the matcher; tokens with empty content are ignored.</summary>
    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ThenBy(t => t.Id).ToArray());
    }

    /// <summary>True when no added token can match.</summary>
    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>
    /// The pieces of <paramref name="text"/> in order: runs of ordinary text (<c>Token</c> null) and matched
    /// added tokens. Empty text runs are not returned.
    /// </summary>
    public IEnumerable<(int Start, int Length, AddedToken? Token)> Split(string text)
    {
        var cut = 0;
        var i = 0;
        while (i < text.Length)
        {
            var token = MatchAt(text, i);
            if (token is null)
            {
                i++;
                continue;
            }

            var start = i;
            var end = i + token.Content.Length;
            if (token.LeftStrip)
            {
                while (start > cut && char.IsWhiteSpace(text[start - 1]))
                {
                    start--;
                }
            }

            if (token.RightStrip)
            {
                while (end < text.Length && char.IsWhiteSpace(text[end]))
                {
                    end++;
                }
            }

            if (start > cut)
            {
                yield return (cut, start - cut, null);
            }

            yield return (start, end - start, token);
            cut = i = end;
        }

        if (cut < text.Length)
        {
            yield return (cut, text.Length - cut, null);
        }
    }

    private AddedToken? MatchAt(string text, int position)
    {
        if (!_byFirstChar.TryGetValue(text[position], out var candidates))
        {
            return null;
        }

        var rest = text.AsSpan(position);
        foreach (var candidate in candidates)
        {
            if (rest.StartsWith(candidate.Content, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }
}
