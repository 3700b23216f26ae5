using MMAdapt.Encoders.Images;
using MMAdapt.Finetune.Synthetic;
using Xunit;

namespace MMAdapt.Tests.Finetune.Synthetic;

[Collection(nameof(SyntheticDatasetCollection))]
public class SyntheticImageTests(SyntheticDatasetFixture data)
{
    // Reference hues, independent of the generator's palette: each drawn colour must be nearest to its name's.
    private static readonly (string Name, int R, int G, int B)[] Reference =
    [
        ("red", 255, 0, 0), ("green", 0, 160, 0), ("blue", 0, 0, 255),
        ("yellow", 255, 255, 0), ("purple", 128, 0, 128), ("orange", 255, 140, 0),
    ];

    private static string NearestColour(byte r, byte g, byte b) =>
        Reference.MinBy(c => (c.R - r) * (c.R - r) + (c.G - g) * (c.G - g) + (c.B - b) * (c.B - b)).Name;

    [Fact]
    public void Images_decode_and_show_the_described_shapes_colour_count_and_position()
    {
        var rows = data.Rows().Where(r => r.GetProperty("labels").TryGetProperty("image", out _)).ToList();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            var label = row.GetProperty("labels").GetProperty("image");
            var scene = new ShapeScene(label.GetProperty("shape").GetString()!, label.GetProperty("colour").GetString()!,
                label.GetProperty("count").GetInt32(), label.GetProperty("position").GetString()!);
            var path = data.File(row.GetProperty("images")[0].GetString()!);
            var image = ImageDecoder.Decode(path);
            int size = SyntheticDatasetFixture.Options.ImageSize;
            Assert.Equal((size, size), (image.Width, image.Height));
            var pixels = image.Pixels.Span;

            // The centre of each shape has the described colour.
            foreach (var (x, y) in scene.Centres(size))
            {
                int at = ((int)y * size + (int)x) * 3;
                Assert.True(scene.Colour == NearestColour(pixels[at], pixels[at + 1], pixels[at + 2]),
                    $"{path}: pixel ({(int)x}, {(int)y}) is ({pixels[at]}, {pixels[at + 1]}, {pixels[at + 2]}), not {scene.Colour}");
            }

            // Independently of the layout code: no antialiasing (one colour on white), as many blobs as shapes,
            // and the blobs' centre of mass on the described side.
            var ink = new bool[size * size];
            double sumX = 0, sumY = 0;
            int inked = 0;
            for (int i = 0; i < size * size; i++)
            {
                var (r, g, b) = (pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]);
                if (r == 255 && g == 255 && b == 255)
                    continue;
                Assert.Equal(scene.Colour, NearestColour(r, g, b));
                ink[i] = true;
                sumX += i % size;
                sumY += i / size;
                inked++;
            }
            Assert.True(scene.Count == Blobs(ink, size), $"{path}: expected {scene.Count} shapes");
            var (cx, cy) = (sumX / inked / size, sumY / inked / size);
            string side = cx < 0.3 ? "left" : cx > 0.7 ? "right" : cy < 0.3 ? "top" : cy > 0.7 ? "bottom" : "center";
            Assert.True(scene.Position == side, $"{path}: ink centred at ({cx:F2}, {cy:F2}), expected {scene.Position}");
        }
    }

    // 8-connected components of the inked pixels (a star's tip may touch the rest at a corner only).
    private static int Blobs(bool[] ink, int size)
    {
        var seen = new bool[ink.Length];
        int blobs = 0;
        var stack = new Stack<int>();
        for (int start = 0; start < ink.Length; start++)
        {
            if (!ink[start] || seen[start])
                continue;
            blobs++;
            seen[start] = true;
            stack.Push(start);
            while (stack.TryPop(out int p))
            {
                int x = p % size, y = p / size;
                foreach (var (nx, ny) in new[] { (x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1), (x - 1, y - 1), (x + 1, y + 1), (x - 1, y + 1), (x + 1, y - 1) })
                {
                    int q = ny * size + nx;
                    if (nx >= 0 && ny >= 0 && nx < size && ny < size && ink[q] && !seen[q])
                    {
                        seen[q] = true;
                        stack.Push(q);
                    }
                }
            }
        }
        return blobs;
    }

    [Fact]
    public void Every_shape_kind_at_every_position_and_size_draws_separate_shapes_with_their_colour_at_the_centre()
    {
        foreach (var shape in new[] { "circle", "square", "triangle", "star", "diamond" })
        {
            foreach (var position in new[] { "left", "right", "top", "bottom", "center" })
            {
                foreach (var size in new[] { 32, 33, 47, 64, 65, 100 })
                {
                    var scene = new ShapeScene(shape, "blue", 3, position);
                    var image = ImageDecoder.Decode(ShapeRenderer.RenderPng(scene, size), $"{shape}-{position}-{size}.png");
                    var pixels = image.Pixels.Span;
                    foreach (var (x, y) in scene.Centres(size))
                    {
                        int at = ((int)y * size + (int)x) * 3;
                        Assert.True(NearestColour(pixels[at], pixels[at + 1], pixels[at + 2]) == "blue", $"{shape} {position} {size} px: centre ({x}, {y}) not blue");
                    }
                    var ink = new bool[size * size];
                    for (int i = 0; i < ink.Length; i++)
                        ink[i] = pixels[3 * i] != 255 || pixels[3 * i + 1] != 255 || pixels[3 * i + 2] != 255;
                    Assert.True(3 == Blobs(ink, size), $"{shape} {position} {size} px: shapes touch or break apart");
                }
            }
        }
    }
}
