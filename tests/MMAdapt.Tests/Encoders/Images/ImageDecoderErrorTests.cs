using MMAdapt.Encoders.Images;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Encoders.Images;

/// <summary>Bad input: every case is one <see cref="ImageDecodeException"/> naming the file and what was expected.</summary>
public sealed class ImageDecoderErrorTests
{
    private static byte[] FixtureBytes(string name) => File.ReadAllBytes(TestImages.Fixture("image", name));

    /// <summary>File name, its bytes, and a phrase the message must hold.</summary>
    public static TheoryData<string, string> Cases => new()
    {
        { "empty.png", "the file is empty" },
        { "truncated.png", "PNG data is truncated" },
        { "truncated-header.png", "PNG file is truncated" },
        { "truncated.jpg", "JPEG data is truncated" },
        { "notes.png", "holds text, not an image" },
        { "scan.tiff", "TIFF files are not supported" },
        { "noise.bin", "not a recognised image" },
        { "huge.png", "20000x20000 = 400,000,000 pixels, more than ImageDecoder.MaxPixels = 100,000,000" },
    };

    private static byte[] Bytes(string name) => name switch
    {
        "empty.png" => [],
        "truncated.png" => FixtureBytes("image_56x40.png")[..2500],
        "truncated-header.png" => FixtureBytes("image_56x40.png")[..20],
        "truncated.jpg" => FixtureBytes("image_56x40.jpg")[..1400],
        "notes.png" => "This is not a picture.\nIt is a text file with a .png name.\n"u8.ToArray(),
        "scan.tiff" => [.. "II*\0"u8, 8, 0, 0, 0, 0, 0, .. new byte[32]],
        "noise.bin" => Noise(512),
        "huge.png" => TestImages.PngHeaderOnly(20000, 20000),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_file_is_one_clear_error_naming_the_file(string name, string phrase)
    {
        using var folder = new TempFolder();
        var path = folder.File(name);
        File.WriteAllBytes(path, Bytes(name));

        var error = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(phrase, error.Message);
        Assert.Contains("expected", error.Message);
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void A_missing_file_is_the_same_error()
    {
        var path = Path.Combine(Path.GetTempPath(), "mmadapt-tests", "no-such-folder", "missing.png");
        var error = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("file not found", error.Message);
        Assert.IsAssignableFrom<IOException>(error.InnerException);
    }

    [Fact]
    public void An_oversized_image_is_refused_from_its_header_before_pixel_memory_is_allocated()
    {
        var bytes = TestImages.PngHeaderOnly(20000, 20000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(bytes, "huge.png"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("20000x20000", error.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before refusing (1.6 GB would be the pixels)");
    }

    [Fact]
    public void MaxPixels_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDecoder.MaxPixels = 0);
        Assert.Equal(ImageDecoder.DefaultMaxPixels, ImageDecoder.MaxPixels);
    }

    [Fact]
    public void A_one_pixel_image_is_valid()
    {
        var image = ImageDecoder.Decode(TestImages.Png(1, 1, 2, [10, 20, 30]), "dot.png");

        Assert.Equal((1, 1), (image.Width, image.Height));
        Assert.Equal(new byte[] { 10, 20, 30 }, image.Pixels.ToArray());
    }

    private static byte[] Noise(int length)
    {
        var bytes = new byte[length];
        new Random(7).NextBytes(bytes);
        bytes[0] = 0xA5; // not the start of any signature (nor WBMP's 0x00)
        bytes[1] = 0x03;
        return bytes;
    }
}
