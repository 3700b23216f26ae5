namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// Finds where a module's tensors sit inside a larger checkpoint and maps names accordingly, so one tower
/// class loads from its own folder (<c>vision_model.…</c>), from a full CLIP/SigLIP/Whisper checkpoint,
/// or from a LLaVA-style one (<c>model.vision_tower.vision_tower.vision_model.…</c>) without renaming code.
/// </summary>
public static class CheckpointPrefix
{
    /// <summary>
    /// The prefix <c>p</c> such that <c>p + anchor</c> is a tensor of the checkpoint (e.g. anchor
    /// <c>vision_model.embeddings.patch_embedding.weight</c>). The empty prefix is preferred; otherwise the
    /// shortest wins, unless <paramref name="preferred"/> names one that exists.
    /// </summary>
    /// <exception cref="CheckpointException">No tensor ends with the anchor.</exception>
    public static string Find(CheckpointReader checkpoint, string anchor, string? preferred = null, string? what = null)
    {
        if (preferred is not null)
        {
            if (checkpoint.Contains(preferred + anchor))
                return preferred;
            throw new CheckpointException(checkpoint.Path, preferred + anchor,
                $"the prefix '{preferred}' was asked for, but the checkpoint has no such tensor");
        }
        var candidates = checkpoint.Names
            .Where(n => n.EndsWith(anchor, StringComparison.Ordinal) && (n.Length == anchor.Length || n[n.Length - anchor.Length - 1] == '.'))
            .Select(n => n[..^anchor.Length])
            .OrderBy(p => p.Length).ThenBy(p => p, StringComparer.Ordinal)
            .ToList();
        if (candidates.Count == 0)
            throw new CheckpointException(checkpoint.Path, anchor,
                $"no tensor ends with this name, so the checkpoint holds no {what ?? "matching module"} " +
                $"(first tensors: {string.Join(", ", checkpoint.Names.Take(5))})");
        return candidates[0];
    }

    /// <summary>
    /// A key map for <see cref="StateDictLoader.Load"/>: names under <paramref name="prefix"/> whose remainder
    /// starts with one of <paramref name="roots"/> (the module's top-level component names) map to the remainder;
    /// everything else (the text tower of a full CLIP, a Whisper decoder, an LLM) is skipped.
    /// </summary>
    public static Func<string, string?> KeyMap(string prefix, IReadOnlyCollection<string> roots) => name =>
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        var rest = name[prefix.Length..];
        return roots.Any(r => rest.StartsWith(r + ".", StringComparison.Ordinal) || rest == r) ? rest : null;
    };
}
