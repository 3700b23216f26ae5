using System.Buffers.Binary;
using System.Text;
using MMAdapt.Core.Checkpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Core.Checkpoints;

public class SafetensorsRoundTripTests
{
    public static TheoryData<SafetensorsDtype, string> DtypesAndShapes()
    {
        var data = new TheoryData<SafetensorsDtype, string>();
        foreach (var dtype in SafetensorsDtypeExtensions.All)
            foreach (var shape in new[] { "3,5", "", "0", "2,0,3", "7" })
                data.Add(dtype, shape);
        return data;
    }

    private static long[] ParseShape(string text) =>
        text.Length == 0 ? [] : text.Split(',').Select(long.Parse).ToArray();

    [Theory]
    [MemberData(nameof(DtypesAndShapes))]
    public void Every_dtype_and_shape_round_trips_bit_exactly(SafetensorsDtype dtype, string shapeText)
    {
        using var temp = new TempFolder();
        var shape = ParseShape(shapeText);
        using var original = TensorBytes.Random(dtype.ToScalarType(), shape, seed: (int)dtype * 31 + shape.Length);
        var path = temp.File("t.safetensors");
        SafetensorsWriter.Write(path, [new("x", original)]);

        using var file = SafetensorsFile.Open(path);
        var info = file.Info("x");
        Assert.Equal(dtype, info.Dtype);
        Assert.Equal(shape, info.Shape);
        Assert.Equal(original.numel() * dtype.ByteSize(), info.ByteLength);
        using var read = file.Read("x");
        Assert.Equal(dtype.ToScalarType(), read.dtype);
        Assert.Equal(shape, read.shape);
        Assert.Equal(TensorBytes.Of(original), TensorBytes.Of(read));
    }

    [Fact]
    public void Special_float_values_and_integer_extremes_survive()
    {
        using var temp = new TempFolder();
        using var f32 = torch.tensor(new[] { 1.5f, -0f, float.PositiveInfinity, float.NaN, float.Epsilon, float.MaxValue });
        using var f64 = torch.tensor(new[] { double.MinValue, -0.0, double.NegativeInfinity, Math.PI });
        using var i64 = torch.tensor(new[] { long.MinValue, -1L, 0L, long.MaxValue });
        using var u8 = torch.tensor(new byte[] { 0, 1, 254, 255 });
        using var flags = torch.tensor(new[] { true, false, true });
        using var scalar = torch.tensor(42, dtype: ScalarType.Int32);
        var path = temp.File("v.safetensors");
        SafetensorsWriter.Write(path, [new("f32", f32), new("f64", f64), new("i64", i64), new("u8", u8), new("flags", flags), new("scalar", scalar)]);

        using var file = SafetensorsFile.Open(path);
        using var r32 = file.Read("f32");
        var v32 = r32.data<float>().ToArray();
        Assert.Equal(1.5f, v32[0]);
        Assert.True(float.IsNegative(v32[1]) && v32[1] == 0);
        Assert.Equal(float.PositiveInfinity, v32[2]);
        Assert.True(float.IsNaN(v32[3]));
        Assert.Equal(float.Epsilon, v32[4]);
        Assert.Equal(float.MaxValue, v32[5]);
        using var r64 = file.Read("f64");
        Assert.Equal(new[] { double.MinValue, -0.0, double.NegativeInfinity, Math.PI }, r64.data<double>().ToArray());
        using var ri64 = file.Read("i64");
        Assert.Equal(new[] { long.MinValue, -1L, 0L, long.MaxValue }, ri64.data<long>().ToArray());
        using var ru8 = file.Read("u8");
        Assert.Equal(new byte[] { 0, 1, 254, 255 }, ru8.data<byte>().ToArray());
        using var rb = file.Read("flags");
        Assert.Equal(new[] { true, false, true }, rb.data<bool>().ToArray());
        using var rs = file.Read("scalar");
        Assert.Empty(rs.shape);
        Assert.Equal(42, rs.item<int>());
    }

    [Fact]
    public void Header_matches_the_reference_layout_and_is_padded_to_8_bytes()
    {
        using var temp = new TempFolder();
        using var t = torch.arange(6, dtype: ScalarType.Float32).reshape(1, 2, 3);
        var path = temp.File("attn.safetensors");
        SafetensorsWriter.Write(path, [new("attn.0", t)]);

        var bytes = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, n);
        const string json = "{\"__metadata__\":{\"format\":\"pt\"},\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        Assert.Equal(json + new string(' ', n - json.Length), header);
        Assert.Equal(8 + n + 24, bytes.Length);
        // The data: 0..5 as little-endian floats, as in the reference's own serialization test.
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64 }, bytes[(8 + n)..]);
    }

    [Fact]
    public void Tensors_are_ordered_by_dtype_alignment_then_name_and_two_writes_are_byte_identical()
    {
        using var temp = new TempFolder();
        using var b = torch.ones(3);
        using var a = torch.zeros(2);
        using var c = torch.ones(2, dtype: ScalarType.Int64);
        using var d = torch.ones(5, dtype: ScalarType.BFloat16);
        using var e = torch.ones(1, dtype: ScalarType.Bool);
        using var f = torch.ones(4, dtype: ScalarType.Float64);
        var tensors = new KeyValuePair<string, Tensor>[] { new("b", b), new("e", e), new("a", a), new("d", d), new("c", c), new("f", f) };
        var metadata = new Dictionary<string, string> { ["z"] = "last", ["a\"quote"] = "line\nbreak" };
        SafetensorsWriter.Write(temp.File("1.safetensors"), tensors, metadata);
        SafetensorsWriter.Write(temp.File("2.safetensors"), tensors.Reverse(), metadata.Reverse().ToDictionary());

        Assert.Equal(File.ReadAllBytes(temp.File("1.safetensors")), File.ReadAllBytes(temp.File("2.safetensors")));
        using var file = SafetensorsFile.Open(temp.File("1.safetensors"));
        Assert.Equal(new[] { "c", "f", "a", "b", "d", "e" }, file.Tensors.Select(t => t.Name));
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["z"] = "last", ["a\"quote"] = "line\nbreak" }, file.Metadata);
        Assert.All(file.Tensors, t => Assert.Equal(0, t.Begin % t.Dtype.ByteSize()));
    }

    [Fact]
    public void Writing_a_metadata_format_other_than_pt_is_refused()
    {
        using var temp = new TempFolder();
        using var t = torch.ones(1);
        var e = Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(temp.File("x.safetensors"), [new("t", t)], new Dictionary<string, string> { ["format"] = "np" }));
        Assert.Contains("x.safetensors", e.Message);
        Assert.False(File.Exists(temp.File("x.safetensors")));
    }

    [Fact]
    public void Strided_tensors_are_written_in_logical_order()
    {
        using var temp = new TempFolder();
        using var m = torch.arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var transposed = m.t();
        SafetensorsWriter.Write(temp.File("t.safetensors"), [new("t", transposed)]);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, m.data<float>().ToArray()); // the caller's tensors stay usable
        Assert.Equal(new long[] { 3, 2 }, transposed.shape);
        using var file = SafetensorsFile.Open(temp.File("t.safetensors"));
        using var read = file.Read("t");
        Assert.Equal(new long[] { 3, 2 }, read.shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, read.data<float>().ToArray());
    }

    [Fact]
    public void Read_casts_when_asked_and_ReadInto_converts_to_the_destination_dtype()
    {
        using var temp = new TempFolder();
        using var t = torch.tensor(new[] { 1.0f, 0.5f, -3.25f, 1.0f + 1.0f / 256 });
        SafetensorsWriter.Write(temp.File("t.safetensors"), [new("t", t)]);
        using var file = SafetensorsFile.Open(temp.File("t.safetensors"));

        using var bf = file.Read("t", ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf.dtype);
        using var back = bf.to_type(ScalarType.Float32);
        // bf16 keeps 8 significant bits: 1 + 1/256 rounds to 1 (ties to even).
        Assert.Equal(new[] { 1.0f, 0.5f, -3.25f, 1.0f }, back.data<float>().ToArray());

        using var dest = torch.zeros(4, dtype: ScalarType.Float64);
        file.ReadInto("t", dest);
        Assert.Equal(new[] { 1.0, 0.5, -3.25, 1.0 + 1.0 / 256 }, dest.data<double>().ToArray());

        // A strided destination is filled through a staged copy.
        using var wide = torch.zeros(4, 2);
        using var column = wide.select(1, 1);
        file.ReadInto("t", column);
        Assert.Equal(new[] { 0f, 1f, 0f, 0.5f, 0f, -3.25f, 0f, 1f + 1f / 256 }, wide.data<float>().ToArray());
    }

    [Fact]
    public void ReadInto_names_tensor_file_and_both_shapes_on_mismatch()
    {
        using var temp = new TempFolder();
        using var t = torch.zeros(2, 3);
        var path = temp.File("m.safetensors");
        SafetensorsWriter.Write(path, [new("layer.weight", t)]);
        using var file = SafetensorsFile.Open(path);
        using var dest = torch.zeros(3, 2);
        var e = Assert.Throws<CheckpointException>(() => file.ReadInto("layer.weight", dest));
        Assert.Equal($"layer.weight: checkpoint [2,3], model expects [3,2] (file {path})", e.Message);
        Assert.Equal("layer.weight", e.TensorName);
        Assert.Equal(path, e.FilePath);

        using var ints = torch.zeros(new long[] { 2, 3 }, dtype: ScalarType.Int64);
        var kind = Assert.Throws<CheckpointException>(() => file.ReadInto("layer.weight", ints));
        Assert.Contains("F32 cannot be loaded into a Int64 tensor", kind.Message);
    }

    [Fact]
    public void Info_of_an_unknown_tensor_names_the_tensor_and_the_file()
    {
        using var temp = new TempFolder();
        using var t = torch.zeros(1);
        var path = temp.File("k.safetensors");
        SafetensorsWriter.Write(path, [new("known", t)]);
        using var file = SafetensorsFile.Open(path);
        Assert.True(file.Contains("known"));
        Assert.False(file.Contains("unknown"));
        var e = Assert.Throws<KeyNotFoundException>(() => file.Info("unknown"));
        Assert.Contains("unknown", e.Message);
        Assert.Contains(path, e.Message);
        Assert.Throws<KeyNotFoundException>(() => file.Read("unknown"));
    }

    [Fact]
    public void Reading_a_large_tensor_allocates_almost_no_managed_memory()
    {
        using var temp = new TempFolder();
        using (var big = torch.rand(16L << 20)) // 64 MiB of F32
            SafetensorsWriter.Write(temp.File("big.safetensors"), [new("big", big)]);
        using var file = SafetensorsFile.Open(temp.File("big.safetensors"));
        using (file.Read("big")) { } // warm up JIT and TorchSharp's own caches

        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var read = file.Read("big"))
            Assert.Equal(16L << 20, read.numel());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 256 << 10, $"reading 64 MiB allocated {allocated} managed bytes");
    }
}
