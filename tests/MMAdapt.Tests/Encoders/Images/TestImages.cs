using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Tests.TestSupport;
using SkiaSharp;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Encoders.Images;

/// <summary>
/// Builds encoded test images: PNGs of every colour type, BMP and GIF by hand (Skia encodes neither), JPEG
/// and WebP through Skia; plus the reference fixtures as byte arrays.
/// </summary>
internal static class TestImages
{
    /// <summary>A deterministic RGB pattern (HWC): smooth gradients with a few sharp edges.</summary>
    public static byte[] Pattern(int width, int height, int seed = 0)
    {
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int p = (y * width + x) * 3;
                pixels[p] = (byte)((x * 255 / Math.Max(1, width - 1) + seed * 37) & 255);
                pixels[p + 1] = (byte)((y * 255 / Math.Max(1, height - 1) + seed * 11) & 255);
                pixels[p + 2] = (byte)(((x / 4 + y / 4) % 2 == 0 ? 200 : 40) + seed % 16);
            }
        return pixels;
    }

    // ---- PNG, by hand: any colour type, optional palette and tRNS ----

    /// <summary>A PNG with 8-bit samples; <paramref name="samples"/> is row-major, <paramref name="channels"/> per pixel.</summary>
    public static byte[] Png(int width, int height, byte colourType, byte[] samples, byte[]? palette = null, byte[]? transparency = null)
    {
        int channels = colourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new ArgumentException("colour type") };
        using var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter: none
            raw.Write(samples, y * width * channels, width * channels);
        }
        return PngFile(width, height, colourType, Deflate(raw.ToArray()), palette, transparency);
    }

    /// <summary>A PNG whose header claims <paramref name="width"/> x <paramref name="height"/> RGB but whose data is one tiny row.</summary>
    public static byte[] PngHeaderOnly(int width, int height) =>
        PngFile(width, height, 2, Deflate(new byte[16]), null, null);

    private static byte[] PngFile(int width, int height, byte colourType, byte[] idat, byte[]? palette, byte[]? transparency)
    {
        using var file = new MemoryStream();
        file.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = colourType;
        Chunk(file, "IHDR", header);
        if (palette is not null)
            Chunk(file, "PLTE", palette);
        if (transparency is not null)
            Chunk(file, "tRNS", transparency);
        Chunk(file, "IDAT", idat);
        Chunk(file, "IEND", []);
        return file.ToArray();
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(data);
        return output.ToArray();
    }

    private static void Chunk(Stream file, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        file.Write(word);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        file.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        file.Write(word);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    // ---- BMP, by hand: 24-bit, bottom-up, rows padded to 4 bytes ----

    public static byte[] Bmp(int width, int height, byte[] rgb)
    {
        int rowBytes = (width * 3 + 3) / 4 * 4;
        var file = new byte[54 + rowBytes * height];
        file[0] = (byte)'B';
        file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(34), rowBytes * height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int s = (y * width + x) * 3, d = 54 + (height - 1 - y) * rowBytes + x * 3;
                file[d] = rgb[s + 2];
                file[d + 1] = rgb[s + 1];
                file[d + 2] = rgb[s];
            }
        return file;
    }

    // ---- GIF89a, by hand: a 4-colour global palette and one image block per frame ----

    /// <summary>A GIF with one frame per index array (each width*height palette indices 0..3).</summary>
    public static byte[] Gif(int width, int height, byte[] palette12, params byte[][] frames)
    {
        using var file = new MemoryStream();
        file.Write("GIF89a"u8);
        Span<byte> word = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(word, (ushort)width);
        file.Write(word);
        BinaryPrimitives.WriteUInt16LittleEndian(word, (ushort)height);
        file.Write(word);
        file.Write([0xF1, 0, 0]); // global colour table of 2^(1+1) = 4 entries
        file.Write(palette12);
        foreach (var indices in frames)
        {
            file.Write([0x21, 0xF9, 4, 0x04, 10, 0, 0, 0]); // graphic control: keep the frame, 0.1 s
            file.WriteByte(0x2C);
            file.Write([0, 0, 0, 0]);
            BinaryPrimitives.WriteUInt16LittleEndian(word, (ushort)width);
            file.Write(word);
            BinaryPrimitives.WriteUInt16LittleEndian(word, (ushort)height);
            file.Write(word);
            file.WriteByte(0);
            file.WriteByte(2); // LZW minimum code size
            var data = LzwLiterals(indices);
            for (int i = 0; i < data.Length; i += 255)
            {
                int n = Math.Min(255, data.Length - i);
                file.WriteByte((byte)n);
                file.Write(data, i, n);
            }
            file.WriteByte(0);
        }
        file.WriteByte(0x3B);
        return file.ToArray();
    }

    // LZW with 3-bit codes only: a clear code before every two literals keeps the table from growing.
    private static byte[] LzwLiterals(byte[] indices)
    {
        const int clear = 4, end = 5;
        var codes = new List<int>();
        for (int i = 0; i < indices.Length; i++)
        {
            if (i % 2 == 0)
                codes.Add(clear);
            codes.Add(indices[i]);
        }
        codes.Add(end);
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var code in codes)
        {
            buffer |= code << bits;
            bits += 3;
            while (bits >= 8)
            {
                bytes.Add((byte)(buffer & 0xFF));
                buffer >>= 8;
                bits -= 8;
            }
        }
        if (bits > 0)
            bytes.Add((byte)buffer);
        return bytes.ToArray();
    }

    // ---- Skia encodings ----

    /// <summary>Encodes an opaque RGB image with Skia (JPEG, PNG or WebP).</summary>
    public static byte[] Encode(int width, int height, byte[] rgb, SKEncodedImageFormat format, int quality = 100)
    {
        var rgba = new byte[width * height * 4];
        for (int i = 0; i < width * height; i++)
        {
            rgba[i * 4] = rgb[i * 3];
            rgba[i * 4 + 1] = rgb[i * 3 + 1];
            rgba[i * 4 + 2] = rgb[i * 3 + 2];
            rgba[i * 4 + 3] = 255;
        }
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var image = SKImage.FromPixelCopy(info, rgba);
        using var data = format == SKEncodedImageFormat.Webp
            ? image.PeekPixels().Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100))!
            : image.Encode(format, quality);
        return data.ToArray();
    }

    // ---- Fixtures ----

    public static string Fixture(params string[] parts) => FixturePaths.Of(parts);

    /// <summary>An expected tensor of a fixture's expected.safetensors.</summary>
    public static Tensor Expected(string folder, string name)
    {
        using var file = SafetensorsFile.Open(FixturePaths.Of(folder, "expected.safetensors"));
        return file.Read(name);
    }

    /// <summary>Mean absolute difference of two same-shaped tensors.</summary>
    public static double MeanAbsDiff(Tensor actual, Tensor expected)
    {
        Xunit.Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        return (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().mean().item<double>();
    }

    /// <summary>True when two tensors have the same shape and the same values everywhere.</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape))
            return false;
        using var scope = NewDisposeScope();
        return a.eq(b).all().item<bool>();
    }

    /// <summary>The HWC bytes of a [3, H, W] 0..255 tensor.</summary>
    public static byte[] HwcBytes(Tensor chw)
    {
        using var scope = NewDisposeScope();
        return chw.permute(1, 2, 0).round().clamp(0, 255).to(ScalarType.Byte).contiguous().data<byte>().ToArray();
    }
}
