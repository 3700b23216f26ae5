using MMAdapt.Core.Checkpoints;
using Xunit;

namespace MMAdapt.Tests.Core.Checkpoints;

/// <summary>Hand-crafted bad files: each must fail with one CheckpointException naming the file (and tensor).</summary>
public class SafetensorsValidationTests
{
    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{shape}],\"data_offsets\":[{begin},{end}]}}";

    private static CheckpointException Fails(string path, string? tensor, string phrase)
    {
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Equal(path, e.FilePath);
        Assert.Equal(tensor, e.TensorName);
        if (tensor is not null)
            Assert.StartsWith(tensor + ":", e.Message);
        Assert.Contains(phrase, e.Message);
        return e;
    }

    [Fact]
    public void A_well_formed_hand_made_file_opens()
    {
        using var temp = new TempFolder();
        var path = temp.Raw("ok.safetensors", "{" + Entry("b", "I32", "2", 8, 16) + "," + Entry("a", "U8", "2,4", 0, 8) + "}", new byte[16]);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(new[] { "a", "b" }, file.Tensors.Select(t => t.Name));
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Empty_header_with_no_tensors_is_valid()
    {
        using var temp = new TempFolder();
        using var file = SafetensorsFile.Open(temp.Raw("e.safetensors", "{}      "));
        Assert.Empty(file.Tensors);
    }

    [Fact]
    public void File_shorter_than_8_bytes()
    {
        using var temp = new TempFolder();
        var path = temp.File("short.safetensors");
        File.WriteAllBytes(path, [1, 0, 0]);
        Fails(path, null, "shorter than the 8-byte header length");
    }

    [Fact]
    public void Header_length_beyond_the_file()
    {
        using var temp = new TempFolder();
        Fails(temp.Raw("h.safetensors", "{}", headerLength: 4096), null, "header length 4096 reaches past the end of the 10-byte file");
    }

    [Fact]
    public void Data_shorter_than_the_offsets_say()
    {
        using var temp = new TempFolder();
        var path = temp.Raw("d.safetensors", "{" + Entry("w", "F32", "4", 0, 16) + "}", new byte[12]);
        Fails(path, "w", "reach past the end of the data buffer (12 bytes");
    }

    [Fact]
    public void Bad_json()
    {
        using var temp = new TempFolder();
        Fails(temp.Raw("j.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"), null, "not valid JSON");
        Fails(temp.Raw("j2.safetensors", "{} trailing"), null, "not valid JSON");
        Fails(temp.Raw("j3.safetensors", "{\"w\":{\"dtype\":\"F32\" \"shape\":[1]}}"), null, "not valid JSON");
        Fails(temp.Raw("j4.safetensors", ""), null, "not valid JSON");
        Fails(temp.Raw("j5.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}} // comment"), null, "not valid JSON");
    }

    [Fact]
    public void Header_that_is_not_UTF8()
    {
        using var temp = new TempFolder();
        var path = temp.File("u.safetensors");
        File.WriteAllBytes(path, [4, 0, 0, 0, 0, 0, 0, 0, (byte)'{', 0xff, 0xfe, (byte)'}']);
        Fails(path, null, "not valid UTF-8");
    }

    [Fact]
    public void Non_object_json()
    {
        using var temp = new TempFolder();
        Fails(temp.Raw("a.safetensors", "[1,2]"), null, "must be a JSON object, found StartArray");
        Fails(temp.Raw("s.safetensors", "\"text\""), null, "must be a JSON object, found String");
        Fails(temp.Raw("e.safetensors", "{\"w\":[0,4]}", new byte[4]), "w", "header entry must be an object");
    }

    [Fact]
    public void Duplicate_tensor_name()
    {
        using var temp = new TempFolder();
        var header = "{" + Entry("w", "U8", "4", 0, 4) + "," + Entry("w", "U8", "4", 4, 8) + "}";
        Fails(temp.Raw("dup.safetensors", header, new byte[8]), "w", "appears twice");
    }

    [Fact]
    public void Offsets_with_a_gap()
    {
        using var temp = new TempFolder();
        var header = "{" + Entry("a", "U8", "4", 0, 4) + "," + Entry("b", "U8", "4", 8, 12) + "}";
        Fails(temp.Raw("gap.safetensors", header, new byte[12]), "b", "gap: data bytes [4,8) belong to no tensor");
        var late = "{" + Entry("a", "U8", "4", 4, 8) + "}";
        Fails(temp.Raw("late.safetensors", late, new byte[8]), "a", "gap: data bytes [0,4)");
    }

    [Fact]
    public void Overlapping_offsets()
    {
        using var temp = new TempFolder();
        var header = "{" + Entry("a", "U8", "4", 0, 4) + "," + Entry("b", "U8", "4", 2, 6) + "}";
        Fails(temp.Raw("ov.safetensors", header, new byte[6]), "b", "overlap tensor 'a' (data_offsets [0,4])");
    }

    [Fact]
    public void Offset_outside_the_file()
    {
        using var temp = new TempFolder();
        var header = "{" + Entry("a", "U8", "4", 0, 4) + "," + Entry("far", "U8", "1099511627776", 4, 1099511627780) + "}";
        Fails(temp.Raw("far.safetensors", header, new byte[4]), "far", "data_offsets [4,1099511627780] reach past the end of the data buffer (4 bytes");
    }

    [Fact]
    public void End_before_begin()
    {
        using var temp = new TempFolder();
        Fails(temp.Raw("rev.safetensors", "{" + Entry("r", "U8", "0", 0, 0) + "," + Entry("s", "U8", "1", 4, 3) + "}", new byte[4]), "s", "end before they begin");
    }

    [Fact]
    public void Size_not_matching_shape_times_dtype()
    {
        using var temp = new TempFolder();
        var header = "{" + Entry("w", "F32", "2,3", 0, 20) + "}";
        Fails(temp.Raw("size.safetensors", header, new byte[20]), "w", "hold 20 bytes but shape [2,3] x F32 needs 24");
        var overflow = "{" + Entry("o", "F64", "4294967296,4294967296", 0, 0) + "}";
        Fails(temp.Raw("of.safetensors", overflow), "o", "overflows 64 bits");
    }

    [Fact]
    public void Unknown_dtype()
    {
        using var temp = new TempFolder();
        Fails(temp.Raw("dt.safetensors", "{" + Entry("w", "F17", "1", 0, 4) + "}", new byte[4]), "w", "unknown or unsupported dtype \"F17\"");
        Fails(temp.Raw("lower.safetensors", "{" + Entry("w", "f32", "1", 0, 4) + "}", new byte[4]), "w", "\"f32\"");
        Fails(temp.Raw("u16.safetensors", "{" + Entry("w", "U16", "2", 0, 4) + "}", new byte[4]), "w", "supported: BOOL, U8");
    }

    [Fact]
    public void Header_too_large()
    {
        using var temp = new TempFolder();
        Fails(temp.Raw("big.safetensors", "{}", headerLength: 100_000_001), null, "header length 100000001 exceeds the limit of 100000000 bytes");
        Fails(temp.Raw("huge.safetensors", "{}", headerLength: ulong.MaxValue), null, "exceeds the limit");
    }

    [Fact]
    public void Trailing_bytes_after_the_last_tensor()
    {
        using var temp = new TempFolder();
        Fails(temp.Raw("tail.safetensors", "{" + Entry("w", "U8", "4", 0, 4) + "}", new byte[6]), null, "cover 4 data bytes but the file holds 6");
    }

    [Fact]
    public void Malformed_entries_and_metadata()
    {
        using var temp = new TempFolder();
        Fails(temp.Raw("neg.safetensors", "{" + Entry("w", "U8", "-1", 0, 4) + "}", new byte[4]), "w", "shape must be an array of non-negative integers");
        Fails(temp.Raw("frac.safetensors", "{" + Entry("w", "U8", "1.5", 0, 4) + "}", new byte[4]), "w", "shape must be");
        Fails(temp.Raw("miss.safetensors", "{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", new byte[1]), "w", "lacks shape");
        Fails(temp.Raw("three.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", new byte[1]), "w", "two numbers");
        Fails(temp.Raw("meta.safetensors", "{\"__metadata__\":{\"format\":1}}"), null, "__metadata__[\"format\"] must be a string");
        Fails(temp.Raw("meta2.safetensors", "{\"__metadata__\":{\"a\":\"x\",\"a\":\"y\"}}"), null, "has the key \"a\" twice");
    }

    [Fact]
    public void Metadata_is_kept_and_unknown_entry_fields_are_ignored()
    {
        using var temp = new TempFolder();
        var header = "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2],\"extra\":{\"x\":[1]}},\"__metadata__\":{\"format\":\"pt\",\"note\":\"\\u00e9t\\u00e9\"}}";
        using var file = SafetensorsFile.Open(temp.Raw("m.safetensors", header, [7, 9]));
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "été" }, file.Metadata);
        using var w = file.Read("w");
        Assert.Equal(new byte[] { 7, 9 }, w.data<byte>().ToArray());
    }

    [Fact]
    public void Missing_file_is_a_checkpoint_error_naming_it()
    {
        using var temp = new TempFolder();
        var path = temp.File("absent.safetensors");
        Fails(path, null, "cannot open safetensors file");
    }
}
