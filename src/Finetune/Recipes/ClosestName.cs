namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// The valid name closest to a misspelt one, for "did you mean" hints: the smallest optimal-string-alignment distance
/// (insertions, deletions, substitutions and swaps of neighbours each cost 1; case ignored), accepted when it is at most
/// a third of the name's length (at least 1), or when one name starts with the other (<c>warmup</c>, <c>warmup_steps</c>).
/// </summary>
public static class ClosestName
{
    /// <summary>The closest candidate, or null when none is close enough.</summary>
    /// <param name="name">The name that was not found.</param>
    /// <param name="candidates">The valid names.</param>
    public static string? Find(string name, IEnumerable<string> candidates)
    {
        var lower = name.ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var other = candidate.ToLowerInvariant();
            var distance = Distance(lower, other);
            var prefix = Math.Min(lower.Length, other.Length) >= 3 && (other.StartsWith(lower, StringComparison.Ordinal) || lower.StartsWith(other, StringComparison.Ordinal));
            if (distance > Math.Max(1, lower.Length / 3) && !prefix)
                continue;
            if (distance < bestDistance)
                (best, bestDistance) = (candidate, distance);
        }
        return best;
    }

    /// <summary>A hint to end a message with: <c>; did you mean 'max_steps'?</c>, else <c>; valid: a, b, c</c>
    /// (or nothing when there are no candidates).</summary>
    /// <param name="name">The name that was not found.</param>
    /// <param name="candidates">The valid names.</param>
    /// <param name="what">What the candidates are, for the list (<c>valid keys</c>).</param>
    public static string Hint(string name, IReadOnlyCollection<string> candidates, string what = "valid keys")
    {
        if (Find(name, candidates) is { } best)
            return $"; did you mean '{best}'?";
        return candidates.Count == 0 ? "" : $"; {what}: {string.Join(", ", candidates)}";
    }

    /// <summary>The optimal-string-alignment distance between two strings.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
