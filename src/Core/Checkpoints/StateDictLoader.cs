using static TorchSharp.torch;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// Loads a checkpoint into a module's parameters and buffers, matching checkpoint names to
/// <c>module.state_dict()</c> keys (Hugging Face names, by the project's naming convention).
/// </summary>
/// <remarks>
/// <para>Everything is checked before anything is copied, so a failed load leaves the module as it
/// was: keys first (strict mode), then every shape and dtype. Copies convert to the target's dtype
/// (a bf16 model loads an f32 checkpoint) and stay on the target's device; no autograd is recorded.</para>
/// <para>Tied weights: several module keys may share one tensor (<c>lm_head.weight</c> and
/// <c>model.embed_tokens.weight</c>). The tensor is loaded once, from the first of its keys in module
/// order that the checkpoint feeds, and its other keys count as loaded, not missing: a checkpoint that
/// saved only one of them (as <c>transformers</c> does) loads cleanly.</para>
/// </remarks>
public static class StateDictLoader
{
    /// <summary>How many names of each kind a strict-mode error lists before counting the rest.</summary>
    public const int ListedNames = 10;

    /// <summary>Copies the checkpoint's tensors into <paramref name="module"/>.</summary>
    /// <param name="module">The module; its <c>state_dict()</c> keys are the targets.</param>
    /// <param name="checkpoint">The open checkpoint.</param>
    /// <param name="keyMap">Maps a checkpoint name to a module key, or to null to skip that tensor; identity when null.</param>
    /// <param name="strict">When true, any missing or unexpected name not excused below is an error.</param>
    /// <param name="allowMissing">Module keys that may stay unloaded in strict mode (adapter weights, say).</param>
    /// <param name="allowUnexpected">Checkpoint names that may match nothing in strict mode.</param>
    /// <returns>Which keys were loaded, missing and unexpected.</returns>
    /// <exception cref="CheckpointException">Strict-mode missing/unexpected names (the first
    /// <see cref="ListedNames"/> of each, plus counts, naming the checkpoint); a shape mismatch
    /// (<c>"model.layers.3.mlp.up_proj.weight: checkpoint [11008,4096], model expects [14336,4096]"</c>,
    /// naming the file); a dtype of another kind; two checkpoint tensors mapped to one key.</exception>
    public static LoadReport Load(nn.Module module, CheckpointReader checkpoint, Func<string, string?>? keyMap = null,
        bool strict = true, Func<string, bool>? allowMissing = null, Func<string, bool>? allowUnexpected = null)
    {
        var targets = module.state_dict();
        var (sourceOf, unexpected) = Match(targets, checkpoint, keyMap);

        var group = TiedGroups(targets);
        var fed = sourceOf.Keys.Select(k => group[k]).ToHashSet();
        var loaded = targets.Keys.Where(k => fed.Contains(group[k])).ToList();
        var missing = targets.Keys.Where(k => !fed.Contains(group[k])).ToList();

        if (strict)
        {
            var badMissing = missing.Where(k => allowMissing?.Invoke(k) != true).ToList();
            var badUnexpected = unexpected.Where(u => allowUnexpected?.Invoke(u.Name) != true).ToList();
            if (badMissing.Count > 0 || badUnexpected.Count > 0)
                throw new CheckpointException(checkpoint.Path, null, DescribeMismatch(badMissing, badUnexpected));
        }
        CheckShapes(targets, sourceOf, checkpoint);

        var done = new HashSet<int>();
        foreach (var (key, target) in targets)
            if (sourceOf.TryGetValue(key, out var name) && done.Add(group[key]))
                checkpoint.ReadInto(name, target);
        return new LoadReport(loaded, missing, unexpected.Select(u => u.Name).ToList());
    }

    /// <summary>Pairs module keys with checkpoint names; lists the checkpoint names no key takes.</summary>
    private static (Dictionary<string, string> SourceOf, List<(string Name, string Key)> Unexpected) Match(
        Dictionary<string, Tensor> targets, CheckpointReader checkpoint, Func<string, string?>? keyMap)
    {
        var sourceOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var unexpected = new List<(string, string)>();
        foreach (var name in checkpoint.Names)
        {
            var key = keyMap is null ? name : keyMap(name);
            if (key is null)
                continue;
            if (!targets.ContainsKey(key))
            {
                unexpected.Add((name, key));
                continue;
            }
            if (sourceOf.TryGetValue(key, out var other))
                throw new CheckpointException(checkpoint.Path, key, $"checkpoint tensors '{other}' and '{name}' both map to this module key");
            sourceOf.Add(key, name);
        }
        return (sourceOf, unexpected);
    }

    /// <summary>Numbers each module key by the tensor it holds; tied keys share a number.</summary>
    private static Dictionary<string, int> TiedGroups(Dictionary<string, Tensor> targets)
    {
        var group = new Dictionary<string, int>(StringComparer.Ordinal);
        var byIdentity = new Dictionary<TensorIdentity.Key, int>();
        foreach (var (key, tensor) in targets)
        {
            var identity = TensorIdentity.Of(tensor);
            if (identity is { } id && byIdentity.TryGetValue(id, out var existing))
            {
                group[key] = existing;
                continue;
            }
            group[key] = group.Count;
            if (identity is { } newId)
                byIdentity[newId] = group[key];
        }
        return group;
    }

    private static void CheckShapes(Dictionary<string, Tensor> targets, Dictionary<string, string> sourceOf, CheckpointReader checkpoint)
    {
        var misfits = new List<CheckpointException>();
        foreach (var (key, target) in targets)
        {
            if (!sourceOf.TryGetValue(key, out var name))
                continue;
            if (SafetensorsFile.Misfit(checkpoint.Info(name), target, key) is { } detail)
                misfits.Add(new CheckpointException(checkpoint.FileOf(name), key, detail));
        }
        if (misfits.Count == 1)
            throw misfits[0];
        if (misfits.Count > 1)
            throw new CheckpointException(checkpoint.Path, null,
                $"{misfits.Count} tensors do not fit the model: " + string.Join("; ", misfits.Take(ListedNames).Select(m => m.Message))
                + More(misfits.Count));
    }

    private static string DescribeMismatch(List<string> missing, List<(string Name, string Key)> unexpected)
    {
        var parts = new List<string>();
        if (missing.Count > 0)
            parts.Add($"{missing.Count} missing (module keys the checkpoint lacks): {string.Join(", ", missing.Take(ListedNames))}{More(missing.Count)}");
        if (unexpected.Count > 0)
            parts.Add($"{unexpected.Count} unexpected (checkpoint tensors the module lacks): "
                + string.Join(", ", unexpected.Take(ListedNames).Select(u => u.Name == u.Key ? u.Name : $"{u.Name} (as {u.Key})"))
                + More(unexpected.Count));
        return "checkpoint does not match the module: " + string.Join("; ", parts);
    }

    private static string More(int count) => count > ListedNames ? $" ... and {count - ListedNames} more" : "";
}
