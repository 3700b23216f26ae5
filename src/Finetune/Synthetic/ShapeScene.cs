using MMAdapt.Finetune.Data;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// What a synthetic image shows: <see cref="Count"/> shapes of one kind and colour, as a group at one
/// <see cref="Position"/> of a white square. The image is a 5 x 5 grid of cells; the group takes cells
/// 1-3 of the middle row or column of its side (<c>left</c>: column 0, <c>top</c>: row 0, ...,
/// <c>center</c>: row 2), and each shape is centred in its cell (on a pixel centre).
/// </summary>
/// <param name="Shape">One of <see cref="SyntheticWords.Shapes"/>.</param>
/// <param name="Colour">One of <see cref="SyntheticWords.Colours"/>' names.</param>
/// <param name="Count">1 to 3.</param>
/// <param name="Position">One of <see cref="SyntheticWords.Positions"/>.</param>
internal sealed record ShapeScene(string Shape, string Colour, int Count, string Position)
{
    /// <summary>Grid cells per side.</summary>
    public const int Grid = 5;

    /// <summary>A shape's outer radius as a fraction of a cell, before rounding (see <see cref="Radius"/>).</summary>
    public const double RadiusInCells = 0.4;

    /// <summary>A uniformly drawn scene.</summary>
    public static ShapeScene Random(SplitMix64 random) =>
        new(random.Pick(SyntheticWords.Shapes), random.Pick(SyntheticWords.ColourNames), 1 + random.NextInt(3), random.Pick(SyntheticWords.Positions));

    /// <summary>The number word of <see cref="Count"/>.</summary>
    public string CountWord => SyntheticWords.Numbers[Count - 1];

    /// <summary>The shapes' centres in pixels of a <paramref name="size"/>-pixel image (pixel (x, y) spans [x, x+1) x [y, y+1)).</summary>
    public IReadOnlyList<(double X, double Y)> Centres(int size)
    {
        int[] along = Count switch { 1 => [2], 2 => [1, 3], _ => [1, 2, 3] };
        // Whole-pixel cells, the grid centred, and shape centres on pixel centres: every shape is rasterised
        // alike wherever it stands, and neighbours are exactly one cell apart.
        int cell = size / Grid, margin = (size - Grid * cell) / 2;
        return along.Select(k => Position switch
        {
            "left" => (0, k),
            "right" => (Grid - 1, k),
            "top" => (k, 0),
            "bottom" => (k, Grid - 1),
            _ => (k, Grid / 2),
        }).Select(c => (margin + c.Item1 * cell + cell / 2 + 0.5, margin + c.Item2 * cell + cell / 2 + 0.5)).ToArray();
    }

    /// <summary>
    /// A shape's outer radius in pixels: a whole number and a half, so that outlines pass between pixel centres
    /// (no one-pixel spikes at a circle's extremes), and neighbours in a group stay at least a pixel apart.
    /// </summary>
    public static double Radius(int size) => Math.Floor(RadiusInCells * (size / Grid)) + 0.5;
}
