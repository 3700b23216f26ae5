using System.Buffers.Binary;
using System.Text.Json;
using MMAdapt.Core.Checkpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Core.Checkpoints;

/// <summary>Files written by Python's safetensors: what the reference writes, this reader must read exactly.</summary>
public class SafetensorsFixtureTests
{
    private static readonly string Llama = TensorBytes.FixturePath("llama", "model.safetensors");

    [Fact]
    public void Llama_fixture_reads_with_its_exact_values()
    {
        using var file = SafetensorsFile.Open(Llama);
        Assert.Equal(21, file.Tensors.Count);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(new[] { "model.embed_tokens.weight", "model.layers.0.input_layernorm.weight" }, file.Tensors.Take(2).Select(t => t.Name));
        Assert.Equal("lm_head.weight", file.Tensors[^1].Name);

        var norm = file.Info("model.norm.weight");
        Assert.Equal(SafetensorsDtype.F32, norm.Dtype);
        Assert.Equal(new long[] { 48 }, norm.Shape);
        Assert.Equal((160512L, 160704L), (norm.Begin, norm.End));
        using var normValues = file.Read("model.norm.weight");
        Assert.Equal(new uint[] { 0x3f79043c, 0x3f6c64f2, 0x3f8342e3, 0x3f57507c }, Bits(normValues).Take(4));
        Assert.Equal(0x3f723751u, Bits(normValues)[^1]);

        using var embed = file.Read("model.embed_tokens.weight");
        Assert.Equal(new long[] { 96, 48 }, embed.shape);
        Assert.Equal(new uint[] { 0xbed1f456, 0x3e4a902b, 0x3ee61ede, 0xbf31b738 }, Bits(embed).Take(4));
        Assert.Equal(0xbe3e9483u, Bits(embed)[^1]);

        using var expected = SafetensorsFile.Open(TensorBytes.FixturePath("llama", "expected.safetensors"));
        Assert.Empty(expected.Metadata);
        using var ids = expected.Read("input_ids");
        Assert.Equal(ScalarType.Int64, ids.dtype);
        Assert.Equal(new long[] { 78, 8, 19, 74, 77, 57, 62, 89, 28, 49, 56 }, ids[0].data<long>().ToArray());
        using var greedy = expected.Read("greedy_ids");
        Assert.Equal(new long[] { 7, 61, 55, 23, 5, 50 }, greedy.data<long>().ToArray());
    }

    [Fact]
    public void Every_fixture_tensor_equals_the_bytes_an_independent_parse_finds()
    {
        var bytes = File.ReadAllBytes(Llama);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, n));
        using var file = SafetensorsFile.Open(Llama);
        foreach (var entry in header.RootElement.EnumerateObject().Where(e => e.Name != "__metadata__"))
        {
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            using var t = file.Read(entry.Name);
            Assert.Equal(bytes[(8 + n + offsets[0])..(8 + n + offsets[1])], TensorBytes.Of(t));
        }
    }

    [Fact]
    public void Fixture_tensors_written_back_read_identically()
    {
        using var temp = new TempFolder();
        using var file = SafetensorsFile.Open(Llama);
        using var owned = new OwnedTensors(file.Tensors.Select(t => new KeyValuePair<string, Tensor>(t.Name, file.Read(t.Name))).ToList());
        var tensors = owned.Items;
        var copy = temp.File("copy.safetensors");
        SafetensorsWriter.Write(copy, tensors, file.Metadata);
        using var again = SafetensorsFile.Open(copy);
        Assert.Equal(file.Metadata, again.Metadata);
        Assert.Equal(file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), again.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(file.Tensors[^1].End, again.Tensors[^1].End);
        foreach (var (name, original) in tensors)
        {
            Assert.Equal(file.Info(name).Shape, again.Info(name).Shape);
            using var read = again.Read(name);
            Assert.Equal(TensorBytes.Of(original), TensorBytes.Of(read));
        }
    }

    private static uint[] Bits(Tensor t) => t.data<float>().ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray();
}
