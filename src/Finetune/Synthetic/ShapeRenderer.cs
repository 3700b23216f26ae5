using SkiaSharp;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// Draws a <see cref="ShapeScene"/> with SkiaSharp, without antialiasing (every pixel is the background or
/// the shape's colour, and the bytes do not depend on the rasteriser's blending), and encodes it as PNG.
/// Vertex coordinates come from <see cref="PortableMath"/>, so the same scene gives the same file everywhere.
/// </summary>
internal static class ShapeRenderer
{
    /// <summary>The PNG file of <paramref name="scene"/> at <paramref name="size"/> x <paramref name="size"/> pixels.</summary>
    public static byte[] RenderPng(ShapeScene scene, int size)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            var (_, r, g, b) = SyntheticWords.Colours.First(c => c.Name == scene.Colour);
            using var paint = new SKPaint { Color = new SKColor(r, g, b), IsAntialias = false, Style = SKPaintStyle.Fill };
            double radius = ShapeScene.Radius(size);
            foreach (var (x, y) in scene.Centres(size))
            {
                using var path = Outline(scene.Shape, x, y, radius);
                canvas.DrawPath(path, paint);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static SKPath Outline(string shape, double x, double y, double radius) => shape switch
    {
        "circle" => Polygon(x, y, Enumerable.Range(0, 48).Select(k => (radius, k / 48.0))),
        "square" => Polygon(x, y, Enumerable.Range(0, 4).Select(k => (radius, (k + 0.5) / 4))),
        "diamond" => Polygon(x, y, Enumerable.Range(0, 4).Select(k => (k % 2 == 0 ? radius : 0.72 * radius, k / 4.0))),
        "triangle" => Polygon(x, y, Enumerable.Range(0, 3).Select(k => (radius, k / 3.0))),
        "star" => Polygon(x, y, Enumerable.Range(0, 10).Select(k => (k % 2 == 0 ? radius : 0.5 * radius, k / 10.0))),
        _ => throw new ArgumentException($"unknown shape '{shape}'; expected one of {string.Join(", ", SyntheticWords.Shapes)}.", nameof(shape)),
    };

    // A closed polygon from (distance, turn) pairs: turn 0 points up, turns go clockwise on screen.
    private static SKPath Polygon(double x, double y, IEnumerable<(double Distance, double Turn)> vertices)
    {
        var path = new SKPath();
        bool first = true;
        foreach (var (distance, turn) in vertices)
        {
            double angle = 2 * Math.PI * turn;
            var point = new SKPoint((float)(x + distance * PortableMath.Sin(angle)), (float)(y - distance * PortableMath.Cos(angle)));
            if (first)
                path.MoveTo(point);
            else
                path.LineTo(point);
            first = false;
        }
        path.Close();
        return path;
    }
}
