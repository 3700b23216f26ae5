using MMAdapt.Core.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Core.Checkpoints;

public class StateDictLoaderTests
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private sealed class Mlp : nn.Module
    {
        public Linear up_proj, down_proj;

        public Mlp(int hidden, int inner) : base(nameof(Mlp))
        {
            up_proj = nn.Linear(hidden, inner);
            down_proj = nn.Linear(inner, hidden, hasBias: false);
            RegisterComponents();
        }
    }

    private sealed class Layer : nn.Module
    {
        public Mlp mlp;

        public Layer(int hidden, int inner) : base(nameof(Layer))
        {
            mlp = new Mlp(hidden, inner);
            RegisterComponents();
        }
    }

    private sealed class Body : nn.Module
    {
        public Embedding embed_tokens;
        public ModuleList<Layer> layers;

        public Body(int vocab, int hidden, int inner, int count) : base(nameof(Body))
        {
            embed_tokens = nn.Embedding(vocab, hidden);
            layers = nn.ModuleList(Enumerable.Range(0, count).Select(_ => new Layer(hidden, inner)).ToArray());
            RegisterComponents();
            register_buffer("inv_freq", torch.arange(hidden, dtype: ScalarType.Float32));
        }
    }

    /// <summary>A tiny decoder-shaped module: <c>model.embed_tokens</c>, <c>model.layers.N.mlp.*</c>, a tied <c>lm_head</c>.</summary>
    private sealed class TinyLm : nn.Module
    {
        public Body model;
        public Linear lm_head;

        public TinyLm(int seed, int layers = 2, int inner = 6, bool tie = true) : base(nameof(TinyLm))
        {
            torch.manual_seed(seed);
            model = new Body(vocab: 10, hidden: 4, inner: inner, count: layers);
            lm_head = nn.Linear(4, 10, hasBias: false);
            if (tie)
                lm_head.weight = model.embed_tokens.weight!;
            RegisterComponents();
        }
    }
#pragma warning restore IDE1006

    private static Dictionary<string, Tensor> Checkpoint(TinyLm source, params string[] without) =>
        source.state_dict().Where(p => !without.Contains(p.Key)).ToDictionary();

    private static string Save(TempFolder temp, IEnumerable<KeyValuePair<string, Tensor>> tensors, string name = "model.safetensors")
    {
        var path = temp.File(name);
        SafetensorsWriter.Write(path, tensors);
        return path;
    }

    private static void AssertSameValues(Tensor expected, Tensor actual) =>
        Assert.Equal(TensorBytes.Of(expected), TensorBytes.Of(actual));

    [Fact]
    public void Loads_exact_values_and_fills_a_tied_weight_the_checkpoint_left_out()
    {
        using var temp = new TempFolder();
        var source = new TinyLm(seed: 1);
        var path = Save(temp, Checkpoint(source, "lm_head.weight")); // transformers drops the tied copy
        var target = new TinyLm(seed: 2);
        Assert.NotEqual(TensorBytes.Of(source.model.embed_tokens.weight!), TensorBytes.Of(target.model.embed_tokens.weight!));

        using var reader = CheckpointReader.Open(path);
        var report = StateDictLoader.Load(target, reader);

        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Equal(target.state_dict().Keys, report.Loaded);
        Assert.Contains("lm_head.weight", report.Loaded);
        foreach (var (key, tensor) in source.state_dict())
            AssertSameValues(tensor, target.state_dict()[key]);
        AssertSameValues(source.model.embed_tokens.weight!, target.lm_head.weight!);
    }

    [Fact]
    public void Tied_weights_are_loaded_once_from_the_first_key_in_module_order()
    {
        using var temp = new TempFolder();
        var source = new TinyLm(seed: 1, tie: false);
        var path = Save(temp, Checkpoint(source));
        var target = new TinyLm(seed: 2);
        using var reader = CheckpointReader.Open(path);
        var report = StateDictLoader.Load(target, reader);

        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        // Had lm_head.weight been copied too, it would have overwritten the shared tensor.
        AssertSameValues(source.model.embed_tokens.weight!, target.lm_head.weight!);
        AssertSameValues(source.model.embed_tokens.weight!, target.model.embed_tokens.weight!);
        Assert.NotEqual(TensorBytes.Of(source.lm_head.weight!), TensorBytes.Of(target.lm_head.weight!));
    }

    [Fact]
    public void Shape_mismatch_names_the_key_both_shapes_and_the_file_and_changes_nothing()
    {
        using var temp = new TempFolder();
        var source = new TinyLm(seed: 1, layers: 4, inner: 11);
        var target = new TinyLm(seed: 2, layers: 4, inner: 14);
        var path = Save(temp, Checkpoint(source).Where(p => !p.Key.Contains("proj") || p.Key.StartsWith("model.layers.3.mlp.up_proj.weight")));
        var before = TensorBytes.Of(target.model.embed_tokens.weight!);
        using var reader = CheckpointReader.Open(path);

        var e = Assert.Throws<CheckpointException>(() => StateDictLoader.Load(target, reader, strict: false));
        Assert.Equal($"model.layers.3.mlp.up_proj.weight: checkpoint [11,4], model expects [14,4] (file {path})", e.Message);
        Assert.Equal("model.layers.3.mlp.up_proj.weight", e.TensorName);
        Assert.Equal(path, e.FilePath);
        Assert.Equal(before, TensorBytes.Of(target.model.embed_tokens.weight!));
    }

    [Fact]
    public void Several_shape_mismatches_are_reported_together()
    {
        using var temp = new TempFolder();
        var path = Save(temp, Checkpoint(new TinyLm(seed: 1, inner: 3)));
        using var reader = CheckpointReader.Open(path);
        var e = Assert.Throws<CheckpointException>(() => StateDictLoader.Load(new TinyLm(seed: 2, inner: 5), reader));
        Assert.StartsWith("6 tensors do not fit the model: model.layers.0.mlp.up_proj.weight: checkpoint [3,4], model expects [5,4]", e.Message);
        Assert.Contains("model.layers.1.mlp.down_proj.weight: checkpoint [4,3], model expects [4,5]", e.Message);
        Assert.Null(e.TensorName);
    }

    [Fact]
    public void Missing_and_unexpected_are_listed_with_counts_and_the_checkpoint_path()
    {
        using var temp = new TempFolder();
        var source = Checkpoint(new TinyLm(seed: 1), "model.layers.0.mlp.down_proj.weight", "model.inv_freq");
        using var extra = torch.ones(2);
        source["model.layers.9.mlp.gate_proj.weight"] = extra;
        var path = Save(temp, source);
        using var reader = CheckpointReader.Open(path);

        var e = Assert.Throws<CheckpointException>(() => StateDictLoader.Load(new TinyLm(seed: 2), reader));
        Assert.Equal(path, e.FilePath);
        Assert.Null(e.TensorName);
        // state_dict() order: parameters, then buffers.
        Assert.Equal("checkpoint does not match the module: 2 missing (module keys the checkpoint lacks): "
            + "model.layers.0.mlp.down_proj.weight, model.inv_freq; "
            + $"1 unexpected (checkpoint tensors the module lacks): model.layers.9.mlp.gate_proj.weight (file {path})", e.Message);

        var target = new TinyLm(seed: 2);
        var report = StateDictLoader.Load(target, reader, strict: false);
        Assert.Equal(new[] { "model.layers.0.mlp.down_proj.weight", "model.inv_freq" }, report.Missing);
        Assert.Equal(new[] { "model.layers.9.mlp.gate_proj.weight" }, report.Unexpected);
        Assert.Equal(target.state_dict().Count - 2, report.Loaded.Count);

        var excused = StateDictLoader.Load(new TinyLm(seed: 2), reader,
            allowMissing: k => k.Contains("down_proj") || k.EndsWith("inv_freq"), allowUnexpected: n => n.Contains("gate_proj"));
        Assert.Equal(2, excused.Missing.Count);
    }

    [Fact]
    public void Long_lists_show_the_first_ten_and_a_count()
    {
        using var temp = new TempFolder();
        using var stray = torch.ones(1);
        var path = Save(temp, [new("stray", stray)]);
        using var reader = CheckpointReader.Open(path);
        var module = new TinyLm(seed: 1, layers: 4); // 15 keys
        var e = Assert.Throws<CheckpointException>(() => StateDictLoader.Load(module, reader));
        Assert.Contains($"{module.state_dict().Count} missing", e.Message);
        Assert.Contains($" ... and {module.state_dict().Count - 10} more", e.Message);
        Assert.Contains("1 unexpected (checkpoint tensors the module lacks): stray", e.Message);
    }

    [Fact]
    public void Bf16_module_loads_an_f32_checkpoint_converting_values()
    {
        using var temp = new TempFolder();
        var source = new TinyLm(seed: 1);
        var path = Save(temp, Checkpoint(source, "lm_head.weight"));
        var target = new TinyLm(seed: 2);
        target.to(ScalarType.BFloat16);
        using var reader = CheckpointReader.Open(path);
        StateDictLoader.Load(target, reader);

        foreach (var (key, tensor) in source.state_dict())
        {
            var loaded = target.state_dict()[key];
            Assert.Equal(ScalarType.BFloat16, loaded.dtype);
            using var expected = tensor.to_type(ScalarType.BFloat16);
            AssertSameValues(expected, loaded);
        }
    }

    [Fact]
    public void Key_map_renames_and_skips_and_works_over_shards()
    {
        using var temp = new TempFolder();
        var source = new TinyLm(seed: 1);
        using var ignored = torch.zeros(3);
        var renamed = Checkpoint(source, "lm_head.weight").Select(p => new KeyValuePair<string, Tensor>("base_model." + p.Key, p.Value))
            .Append(new("base_model.ignored.bias", ignored)).ToList();
        ShardedCheckpointWriter.Write(temp.Root, renamed, maxShardBytes: 64);
        using var reader = CheckpointReader.Open(temp.Root);
        Assert.True(reader.Files.Count > 3);

        var target = new TinyLm(seed: 2);
        var report = StateDictLoader.Load(target, reader, name => name.Contains("ignored") ? null : name["base_model.".Length..]);
        Assert.Empty(report.Unexpected);
        Assert.Empty(report.Missing);
        AssertSameValues(source.model.layers[1].mlp.up_proj.bias!, target.model.layers[1].mlp.up_proj.bias!);
    }

    [Fact]
    public void Two_checkpoint_tensors_for_one_key_and_dtype_kind_changes_are_errors()
    {
        using var temp = new TempFolder();
        var source = new TinyLm(seed: 1);
        var path = Save(temp, Checkpoint(source).Select(p => new KeyValuePair<string, Tensor>("x." + p.Key, p.Value)).Concat(Checkpoint(source)));
        using var reader = CheckpointReader.Open(path);
        var twice = Assert.Throws<CheckpointException>(() => StateDictLoader.Load(new TinyLm(seed: 2), reader, n => n.StartsWith("x.") ? n[2..] : n));
        Assert.Contains("both map to this module key", twice.Message);

        using var ints = torch.zeros(new long[] { 10, 4 }, dtype: ScalarType.Int64);
        var intPath = Save(temp, [new("model.embed_tokens.weight", ints)], "ints.safetensors");
        using var intReader = CheckpointReader.Open(intPath);
        var kind = Assert.Throws<CheckpointException>(() => StateDictLoader.Load(new TinyLm(seed: 2), intReader, strict: false));
        Assert.StartsWith("model.embed_tokens.weight: checkpoint dtype I64 cannot be loaded into a Float32 tensor", kind.Message);
    }
}
