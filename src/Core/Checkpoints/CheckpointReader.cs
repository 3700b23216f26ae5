using static TorchSharp.torch;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// The tensors of one checkpoint, whether it is a single safetensors file or a Hugging Face sharded
/// checkpoint (<c>model-0000i-of-0000n.safetensors</c> plus <c>model.safetensors.index.json</c>).
/// </summary>
/// <remarks>
/// Opening validates every file's header and checks the index against the shards; tensor data is
/// read only by <see cref="Read"/> and <see cref="ReadInto"/>, one tensor at a time, straight into
/// native memory (see <see cref="SafetensorsFile"/>).
/// </remarks>
public sealed class CheckpointReader : IDisposable
{
    private readonly IReadOnlyList<SafetensorsFile> files;
    private readonly Dictionary<string, SafetensorsFile> fileOf;

    private CheckpointReader(string path, IReadOnlyList<SafetensorsFile> files, Dictionary<string, SafetensorsFile> fileOf, IReadOnlyList<string> names)
    {
        Path = path;
        this.files = files;
        this.fileOf = fileOf;
        Names = names;
    }

    /// <summary>
    /// Opens a checkpoint: a <c>.safetensors</c> file, a <c>.safetensors.index.json</c> file, or a folder
    /// holding <c>{baseName}.safetensors</c> or, failing that, <c>{baseName}.safetensors.index.json</c>
    /// (the order <c>transformers</c> looks in).
    /// </summary>
    /// <param name="fileOrFolder">The file or folder.</param>
    /// <param name="baseName">The file stem inside a folder: <c>model</c>, or <c>adapter_model</c> and the like.</param>
    /// <exception cref="CheckpointException">Nothing to open, an invalid file or index, an index naming a
    /// missing shard or a tensor its shard lacks; the message names the file or index at fault.</exception>
    public static CheckpointReader Open(string fileOrFolder, string baseName = "model")
    {
        var full = System.IO.Path.GetFullPath(fileOrFolder);
        if (Directory.Exists(full))
        {
            var single = System.IO.Path.Combine(full, ShardIndex.SingleFileName(baseName));
            var index = System.IO.Path.Combine(full, ShardIndex.IndexFileName(baseName));
            if (File.Exists(single))
                return OpenSingle(single);
            if (File.Exists(index))
                return OpenSharded(index);
            throw new CheckpointException(full, null,
                $"folder holds neither {ShardIndex.SingleFileName(baseName)} nor {ShardIndex.IndexFileName(baseName)}");
        }
        if (full.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(full))
                throw new CheckpointException(full, null, "checkpoint index does not exist");
            return OpenSharded(full);
        }
        return OpenSingle(full);
    }

    private static CheckpointReader OpenSingle(string path)
    {
        var file = SafetensorsFile.Open(path);
        var fileOf = file.Tensors.ToDictionary(t => t.Name, _ => file, StringComparer.Ordinal);
        return new CheckpointReader(file.Path, [file], fileOf, file.Tensors.Select(t => t.Name).ToArray());
    }

    private static CheckpointReader OpenSharded(string indexPath)
    {
        var folder = System.IO.Path.GetDirectoryName(indexPath)!;
        var weightMap = ShardIndex.Read(indexPath);
        var opened = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            var fileOf = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (tensor, shardName) in weightMap)
            {
                if (!opened.TryGetValue(shardName, out var shard))
                {
                    var shardPath = System.IO.Path.Combine(folder, shardName);
                    if (!File.Exists(shardPath))
                        throw new CheckpointException(indexPath, tensor, $"index places it in shard {shardName}, which does not exist ({shardPath})");
                    shard = SafetensorsFile.Open(shardPath);
                    opened.Add(shardName, shard);
                }
                if (!shard.Contains(tensor))
                    throw new CheckpointException(indexPath, tensor, $"index places it in shard {shardName}, which has no such tensor");
                fileOf.Add(tensor, shard);
            }
            // Shard by shard, each in data order: reading Names in turn walks every file sequentially.
            var files = opened.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToArray();
            var names = files.SelectMany(f => f.Tensors.Where(t => fileOf.TryGetValue(t.Name, out var owner) && owner == f).Select(t => t.Name)).ToArray();
            return new CheckpointReader(indexPath, files, fileOf, names);
        }
        catch
        {
            foreach (var file in opened.Values)
                file.Dispose();
            throw;
        }
    }

    /// <summary>The checkpoint's path: the safetensors file, or the index of a sharded checkpoint.</summary>
    public string Path { get; }

    /// <summary>The open files: one, or the shards in name order.</summary>
    public IReadOnlyList<SafetensorsFile> Files => files;

    /// <summary>Every tensor name: file by file, each in data order. For a sharded checkpoint, the names the index lists.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>True when the checkpoint holds a tensor of that name.</summary>
    public bool Contains(string name) => fileOf.ContainsKey(name);

    /// <summary>The header entry of one tensor (offsets relative to its own file's data buffer).</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names it and the checkpoint.</exception>
    public TensorInfo Info(string name) => FileHolding(name).Info(name);

    /// <summary>The full path of the file holding <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    public string FileOf(string name) => FileHolding(name).Path;

    /// <summary>Reads one tensor into a new tensor the caller owns; see <see cref="SafetensorsFile.Read"/>.</summary>
    public Tensor Read(string name, ScalarType? dtype = null, Device? device = null) => FileHolding(name).Read(name, dtype, device);

    /// <summary>Copies one tensor into an existing tensor; see <see cref="SafetensorsFile.ReadInto"/>.</summary>
    public void ReadInto(string name, Tensor destination) => FileHolding(name).ReadInto(name, destination);

    private SafetensorsFile FileHolding(string name) =>
        fileOf.TryGetValue(name, out var file)
            ? file
            : throw new KeyNotFoundException($"{name}: no such tensor in checkpoint {Path} ({fileOf.Count} tensors)");

    /// <summary>Closes every file.</summary>
    public void Dispose()
    {
        foreach (var file in files)
            file.Dispose();
    }
}
