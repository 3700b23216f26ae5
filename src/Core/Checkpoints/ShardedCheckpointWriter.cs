using static TorchSharp.torch;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// Writes a checkpoint folder the way Hugging Face <c>save_pretrained</c> does: one
/// <c>model.safetensors</c> when everything fits in one shard, otherwise
/// <c>model-00001-of-0000n.safetensors</c> ... plus <c>model.safetensors.index.json</c>.
/// </summary>
/// <remarks>
/// <para>Splitting follows <c>huggingface_hub.split_torch_state_dict_into_shards</c>: tensors are taken
/// in the given order; a tensor larger than the limit gets a shard of its own; otherwise a new shard
/// starts when the next tensor would push the current one past the limit. Sizes are data bytes
/// (numel × element size); headers are not counted.</para>
/// <para>Each shard is written atomically (<see cref="SafetensorsWriter"/>), then the index; last,
/// files of an earlier save under the same base name that the new layout does not use (a stale
/// <c>model.safetensors</c>, index, or shards of another count) are deleted, as <c>transformers</c> does,
/// so a reader never mixes two saves.</para>
/// </remarks>
public static class ShardedCheckpointWriter
{
    /// <summary>Writes <paramref name="tensors"/> into <paramref name="folder"/> (created if missing).</summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="tensors">Names and tensors; names must be unique. The tensors are not disposed.</param>
    /// <param name="maxShardBytes">The most data bytes per shard (5 GiB by default, as <c>transformers</c>).</param>
    /// <param name="baseName">The file stem: <c>model</c> gives <c>model.safetensors</c>.</param>
    /// <returns>The full paths of the safetensors files written, in shard order (the index, when there is
    /// one, is <c>{baseName}.safetensors.index.json</c> beside them).</returns>
    /// <exception cref="ArgumentException">A non-positive limit, a base name with a path in it, a duplicate name, or an unsupported dtype.</exception>
    public static IReadOnlyList<string> Write(string folder, IEnumerable<KeyValuePair<string, Tensor>> tensors, long maxShardBytes = 5L << 30, string baseName = "model")
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        if (string.IsNullOrEmpty(baseName) || baseName != Path.GetFileName(baseName))
            throw new ArgumentException($"base name must be a plain file stem, not '{baseName}'", nameof(baseName));
        var full = Path.GetFullPath(folder);
        Directory.CreateDirectory(full);
        var list = tensors.ToList();
        var duplicate = list.GroupBy(p => p.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"{duplicate.Key}: given twice for checkpoint {full}", nameof(tensors));

        var shards = Split(list, maxShardBytes);
        var written = new List<string>();
        if (shards.Count <= 1)
        {
            var single = Path.Combine(full, ShardIndex.SingleFileName(baseName));
            SafetensorsWriter.Write(single, list);
            written.Add(single);
        }
        else
        {
            var weightMap = new List<(string, string)>();
            for (int i = 0; i < shards.Count; i++)
            {
                var name = ShardIndex.ShardFileName(baseName, i + 1, shards.Count);
                var path = Path.Combine(full, name);
                SafetensorsWriter.Write(path, shards[i]);
                written.Add(path);
                weightMap.AddRange(shards[i].Select(p => (p.Key, name)));
            }
            var index = Path.Combine(full, ShardIndex.IndexFileName(baseName));
            ShardIndex.Write(index, list.Sum(p => SafetensorsWriter.ByteLength(p.Value)), weightMap);
            written.Add(index);
        }
        RemoveStale(full, baseName, written);
        return written.Where(p => p.EndsWith(".safetensors", StringComparison.Ordinal)).ToArray();
    }

    /// <summary>Groups tensors into shards of at most <paramref name="maxShardBytes"/> data bytes (see remarks).</summary>
    internal static List<List<KeyValuePair<string, Tensor>>> Split(IReadOnlyList<KeyValuePair<string, Tensor>> tensors, long maxShardBytes)
    {
        var shards = new List<List<KeyValuePair<string, Tensor>>>();
        var current = new List<KeyValuePair<string, Tensor>>();
        long currentBytes = 0;
        foreach (var pair in tensors)
        {
            long bytes = SafetensorsWriter.ByteLength(pair.Value);
            if (bytes > maxShardBytes)
            {
                shards.Add([pair]);
                continue;
            }
            if (currentBytes + bytes > maxShardBytes)
            {
                shards.Add(current);
                current = [];
                currentBytes = 0;
            }
            current.Add(pair);
            currentBytes += bytes;
        }
        if (current.Count > 0)
            shards.Add(current);
        return shards;
    }

    private static void RemoveStale(string folder, string baseName, IReadOnlyCollection<string> keep)
    {
        var kept = new HashSet<string>(keep.Select(Path.GetFileName)!, StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(folder))
        {
            var name = Path.GetFileName(path);
            bool ours = name == ShardIndex.SingleFileName(baseName) || name == ShardIndex.IndexFileName(baseName)
                || ShardIndex.IsShardFileName(name, baseName);
            if (ours && !kept.Contains(name))
                File.Delete(path);
        }
    }
}
