using MMAdapt.Finetune.Pretraining;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// The words the synthetic data describe things with. Colour and shape words are a subset of
/// <see cref="ShapeSentences"/>' vocabulary (the tiny demo model knows them): colours that show on a white
/// background and whose mixtures are in the list, shapes that draw as one filled polygon.
/// </summary>
internal static class SyntheticWords
{
    /// <summary>Colour names with the RGB they are drawn in.</summary>
    public static readonly (string Name, byte R, byte G, byte B)[] Colours =
    [
        ("red", 220, 30, 30), ("green", 30, 160, 60), ("blue", 30, 70, 220),
        ("yellow", 240, 210, 20), ("purple", 140, 50, 170), ("orange", 245, 135, 20),
    ];

    /// <summary>Drawable shapes.</summary>
    public static readonly string[] Shapes = ["circle", "square", "triangle", "star", "diamond"];

    /// <summary>Where the group of shapes stands.</summary>
    public static readonly string[] Positions = ["left", "right", "top", "bottom", "center"];

    /// <summary>Number words for counts 1..3 (index = count - 1), and for the sides of polygons.</summary>
    public static readonly string[] Numbers = ["one", "two", "three", "four"];

    /// <summary>Pitch classes with their centre frequency in Hz, two octaves apart: a sound's jitter (±0.1 octave),
    /// glide (±0.5) and noise band (±0.15) keep it within 0.75 octave of its centre, so classes never overlap.</summary>
    public static readonly (string Name, double Hertz)[] Pitches = [("low", 200), ("mid", 800), ("high", 3200)];

    /// <summary>How a sound changes over time.</summary>
    public static readonly string[] Patterns = ["steady", "beeping", "rising", "falling"];

    /// <summary>What makes the sound: a pure sine tone or band-limited noise.</summary>
    public static readonly string[] Sources = ["tone", "noise"];

    /// <summary>Pairs of colours and what mixing them (as paints) gives; all three are in <see cref="Colours"/>.</summary>
    public static readonly (string A, string B, string Mix)[] Mixtures =
        [("red", "blue", "purple"), ("red", "yellow", "orange"), ("blue", "yellow", "green")];

    /// <summary>Polygons and their number of sides.</summary>
    public static readonly (string Shape, string Sides)[] Sides = [("triangle", "three"), ("square", "four"), ("diamond", "four")];

    /// <summary>Words and their opposites (both directions are asked).</summary>
    public static readonly (string Word, string Opposite)[] Opposites =
        [("high", "low"), ("rising", "falling"), ("left", "right"), ("top", "bottom")];

    /// <summary>The colour names.</summary>
    public static IReadOnlyList<string> ColourNames { get; } = Colours.Select(c => c.Name).ToArray();

    /// <summary>The pitch names.</summary>
    public static IReadOnlyList<string> PitchNames { get; } = Pitches.Select(p => p.Name).ToArray();
}
