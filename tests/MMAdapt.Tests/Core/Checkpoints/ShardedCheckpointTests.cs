using System.Text.Json;
using MMAdapt.Core.Checkpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Core.Checkpoints;

public class ShardedCheckpointTests
{
    /// <summary>Five F32 tensors of 400, 400, 200, 1000 and 40 bytes.</summary>
    private static OwnedTensors FiveTensors() => new(
    [
        new("model.a.weight", torch.arange(100, dtype: ScalarType.Float32)),
        new("model.b.weight", torch.arange(100, dtype: ScalarType.Float32).neg()),
        new("model.c.weight", torch.full(50, 3f)),
        new("model.big.weight", torch.arange(250, dtype: ScalarType.Float32).reshape(25, 10)),
        new("lm_head.weight", torch.full(new long[] { 2, 5 }, 7f)),
    ]);

    [Fact]
    public void Splits_like_huggingface_and_writes_its_file_names_and_index()
    {
        using var temp = new TempFolder();
        using var owned = FiveTensors();
        var tensors = owned.Items;
        // Limit 800: a+b fill shard 1; c starts another, but big (1000 > 800) gets a shard of its own,
        // listed first; lm_head joins c in shard 3.
        var files = ShardedCheckpointWriter.Write(temp.Root, tensors, maxShardBytes: 800);
        Assert.Equal(new[] { "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors" },
            files.Select(Path.GetFileName));
        Assert.False(File.Exists(temp.File("model.safetensors")));

        var index = File.ReadAllText(temp.File("model.safetensors.index.json"));
        Assert.Equal("""
            {
              "metadata": {
                "total_size": 2040
              },
              "weight_map": {
                "lm_head.weight": "model-00003-of-00003.safetensors",
                "model.a.weight": "model-00001-of-00003.safetensors",
                "model.b.weight": "model-00001-of-00003.safetensors",
                "model.big.weight": "model-00002-of-00003.safetensors",
                "model.c.weight": "model-00003-of-00003.safetensors"
              }
            }

            """.Replace("\r\n", "\n"), index);

        foreach (var opened in new[] { temp.Root, temp.File("model.safetensors.index.json") })
        {
            using var reader = CheckpointReader.Open(opened);
            Assert.Equal(temp.File("model.safetensors.index.json"), reader.Path);
            Assert.Equal(new[] { "model.a.weight", "model.b.weight", "model.big.weight", "lm_head.weight", "model.c.weight" }, reader.Names);
            Assert.Equal(temp.File("model-00002-of-00003.safetensors"), reader.FileOf("model.big.weight"));
            foreach (var (name, original) in tensors)
            {
                using var read = reader.Read(name);
                Assert.Equal(TensorBytes.Of(original), TensorBytes.Of(read));
                Assert.Equal(original.shape, reader.Info(name).Shape);
            }
        }
    }

    [Fact]
    public void One_shard_is_model_safetensors_and_resaving_removes_the_other_layout()
    {
        using var temp = new TempFolder();
        using var owned = FiveTensors();
        var tensors = owned.Items;
        File.WriteAllText(temp.File("config.json"), "{}");
        ShardedCheckpointWriter.Write(temp.Root, tensors, maxShardBytes: 800);
        var single = ShardedCheckpointWriter.Write(temp.Root, tensors);
        Assert.Equal(new[] { temp.File("model.safetensors") }, single);
        Assert.Equal(new[] { "config.json", "model.safetensors" }, Directory.GetFiles(temp.Root).Select(Path.GetFileName).Order());
        using (var reader = CheckpointReader.Open(temp.Root))
        {
            Assert.Equal(temp.File("model.safetensors"), reader.Path);
            Assert.Equal(5, reader.Names.Count);
            using var lm = reader.Read("lm_head.weight");
            Assert.Equal(Enumerable.Repeat(7f, 10), lm.data<float>().ToArray());
        }

        ShardedCheckpointWriter.Write(temp.Root, tensors, maxShardBytes: 1040);
        Assert.Equal(new[] { "config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json" },
            Directory.GetFiles(temp.Root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Base_name_selects_other_checkpoints_in_a_folder()
    {
        using var temp = new TempFolder();
        using var a = torch.ones(3);
        ShardedCheckpointWriter.Write(temp.Root, [new("lora_A", a)], baseName: "adapter_model");
        Assert.True(File.Exists(temp.File("adapter_model.safetensors")));
        using var reader = CheckpointReader.Open(temp.Root, "adapter_model");
        Assert.Equal(new[] { "lora_A" }, reader.Names);
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Open(temp.Root));
        Assert.Equal(temp.Root, e.FilePath);
        Assert.Contains("neither model.safetensors nor model.safetensors.index.json", e.Message);
    }

    [Fact]
    public void Index_pointing_at_a_missing_shard_names_the_index_and_the_shard()
    {
        using var temp = new TempFolder();
        using var owned = FiveTensors();
        var tensors = owned.Items;
        ShardedCheckpointWriter.Write(temp.Root, tensors, maxShardBytes: 800);
        File.Delete(temp.File("model-00002-of-00003.safetensors"));
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Open(temp.Root));
        Assert.Equal(temp.File("model.safetensors.index.json"), e.FilePath);
        Assert.Equal("model.big.weight", e.TensorName);
        Assert.Contains("model-00002-of-00003.safetensors, which does not exist", e.Message);
        Assert.Contains("model.safetensors.index.json", e.Message);
    }

    [Fact]
    public void Index_naming_a_tensor_its_shard_lacks_names_the_index()
    {
        using var temp = new TempFolder();
        using var owned = FiveTensors();
        var tensors = owned.Items;
        ShardedCheckpointWriter.Write(temp.Root, tensors, maxShardBytes: 800);
        var indexPath = temp.File("model.safetensors.index.json");
        var text = File.ReadAllText(indexPath).Replace("\"lm_head.weight\": \"model-00003", "\"lm_head.weight\": \"model-00001");
        File.WriteAllText(indexPath, text);
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Open(temp.Root));
        Assert.Equal(indexPath, e.FilePath);
        Assert.Equal("lm_head.weight", e.TensorName);
        Assert.Contains("shard model-00001-of-00003.safetensors, which has no such tensor", e.Message);
    }

    [Theory]
    [InlineData("not json", "not valid JSON", null)]
    [InlineData("[1]", "\"weight_map\" object", null)]
    [InlineData("""{"weight_map": {"w": "a.safetensors", "w": "b.safetensors"}}""", "listed twice", "w")]
    [InlineData("""{"weight_map": {"w": "../a.safetensors"}}""", "not a file name in the index's folder", "w")]
    [InlineData("""{"weight_map": {"w": 3}}""", "must be a shard file name", "w")]
    public void Malformed_index_is_a_checkpoint_error(string json, string phrase, string? tensor)
    {
        using var temp = new TempFolder();
        var path = temp.File("model.safetensors.index.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Open(path));
        Assert.Equal(path, e.FilePath);
        Assert.Equal(tensor, e.TensorName);
        Assert.Contains(phrase, e.Message);
    }

    [Fact]
    public void Reader_of_one_file_names_the_checkpoint_for_unknown_tensors()
    {
        using var reader = CheckpointReader.Open(TensorBytes.FixturePath("qwen2", "model.safetensors"));
        Assert.Equal(26, reader.Names.Count);
        Assert.False(reader.Contains("lm_head.weight"));
        var e = Assert.Throws<KeyNotFoundException>(() => reader.Info("lm_head.weight"));
        Assert.Contains("lm_head.weight", e.Message);
        Assert.Contains(Path.Combine("qwen2", "model.safetensors"), e.Message);
        using var bias = reader.Read("model.layers.1.self_attn.k_proj.bias", ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, bias.dtype);
        Assert.Equal(new long[] { 16 }, bias.shape);
    }

    [Fact]
    public void Written_index_parses_as_json_with_the_total_of_data_bytes()
    {
        using var temp = new TempFolder();
        using var a = torch.ones(10, dtype: ScalarType.BFloat16);
        using var b = torch.ones(10, dtype: ScalarType.Int64);
        ShardedCheckpointWriter.Write(temp.Root, [new("a", a), new("b", b)], maxShardBytes: 20);
        using var doc = JsonDocument.Parse(File.ReadAllText(temp.File("model.safetensors.index.json")));
        Assert.Equal(100, doc.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
        // b (80 bytes) exceeds the limit and gets its own shard, which comes before the one a is still filling.
        Assert.Equal("model-00001-of-00002.safetensors", doc.RootElement.GetProperty("weight_map").GetProperty("b").GetString());
        Assert.Equal("model-00002-of-00002.safetensors", doc.RootElement.GetProperty("weight_map").GetProperty("a").GetString());
    }
}
