namespace MMAdapt.Connectors;

/// <summary>The closest name to a misspelt one, by edit distance, for "did you mean" messages.</summary>
internal static class Spelling
{
    /// <summary>The candidate with the smallest Levenshtein distance to <paramref name="word"/> (case-insensitive; the
    /// first such candidate on ties), or null when there are no candidates or none is within <paramref name="maxDistance"/>.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates, int maxDistance = int.MaxValue) =>
        candidates.Select(c => (Name: c, Distance: Distance(word.ToLowerInvariant(), c.ToLowerInvariant())))
            .Where(c => c.Distance <= maxDistance)
            .OrderBy(c => c.Distance).Select(c => c.Name).FirstOrDefault();

    /// <summary>Levenshtein distance: insertions, deletions and substitutions.</summary>
    public static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
