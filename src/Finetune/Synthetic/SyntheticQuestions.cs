using MMAdapt.Finetune.Data;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// The question types of the synthetic dataset and how each is asked and answered. Answers are exact:
/// lowercase, one or two words and a full stop.
/// </summary>
/// <remarks>
/// Image: <c>image.colour</c>, <c>image.shape</c>, <c>image.count</c>, <c>image.position</c>.
/// Audio: <c>audio.pitch</c>, <c>audio.pattern</c>, <c>audio.source</c>.
/// Both: <c>image_audio.colour_pitch</c>, <c>image_audio.count_pattern</c>.
/// Text only: <c>text.mixing</c>, <c>text.sides</c>, <c>text.category</c>, <c>text.opposite</c>.
/// </remarks>
internal static class SyntheticQuestions
{
    /// <summary>Types asked about an image.</summary>
    public static readonly string[] ImageTypes = ["image.colour", "image.shape", "image.count", "image.position"];

    /// <summary>Types asked about a sound.</summary>
    public static readonly string[] AudioTypes = ["audio.pitch", "audio.pattern", "audio.source"];

    /// <summary>Types that need both the image and the sound.</summary>
    public static readonly string[] BothTypes = ["image_audio.colour_pitch", "image_audio.count_pattern"];

    /// <summary>Types answerable from the text alone.</summary>
    public static readonly string[] TextTypes = ["text.mixing", "text.sides", "text.category", "text.opposite"];

    /// <summary>Every type, in the order above.</summary>
    public static IReadOnlyList<string> AllTypes { get; } = [.. ImageTypes, .. AudioTypes, .. BothTypes, .. TextTypes];

    private const string PitchChoice = "low, mid or high";
    private const string PatternChoice = "steady, beeping, rising or falling";

    /// <summary>A question of <paramref name="type"/> about <paramref name="scene"/>.</summary>
    public static SyntheticQuestion AboutImage(string type, ShapeScene scene)
    {
        bool one = scene.Count == 1;
        return type switch
        {
            "image.colour" => new(type, one ? "What colour is the shape?" : "What colour are the shapes?", $"{scene.Colour}."),
            "image.shape" => new(type, "What kind of shape is in the picture?", $"{scene.Shape}."),
            "image.count" => new(type, "How many shapes are there?", $"{scene.CountWord}."),
            "image.position" => new(type, one ? "Where is the shape?" : "Where are the shapes?", $"{scene.Position}."),
            _ => throw Unknown(type, ImageTypes),
        };
    }

    /// <summary>A question of <paramref name="type"/> about <paramref name="tone"/>.</summary>
    public static SyntheticQuestion AboutAudio(string type, ToneSpec tone) => type switch
    {
        "audio.pitch" => new(type, $"Is the sound {PitchChoice}?", $"{tone.Pitch}."),
        "audio.pattern" => new(type, $"Is the sound {PatternChoice}?", $"{tone.Pattern}."),
        "audio.source" => new(type, "Is it a pure tone or noise?", $"{tone.Source}."),
        _ => throw Unknown(type, AudioTypes),
    };

    /// <summary>A question of <paramref name="type"/> about <paramref name="scene"/> and <paramref name="tone"/> together.</summary>
    public static SyntheticQuestion AboutBoth(string type, ShapeScene scene, ToneSpec tone)
    {
        var shapes = scene.Count == 1 ? "is the shape" : "are the shapes";
        return type switch
        {
            "image_audio.colour_pitch" => new(type, $"What colour {shapes}, and is the sound {PitchChoice}?", $"{scene.Colour}, {tone.Pitch}."),
            "image_audio.count_pattern" => new(type, $"How many shapes are there, and is the sound {PatternChoice}?", $"{scene.CountWord}, {tone.Pattern}."),
            _ => throw Unknown(type, BothTypes),
        };
    }

    /// <summary>A text-only question of <paramref name="type"/>, its subject drawn from <paramref name="random"/>.</summary>
    public static SyntheticQuestion FromText(string type, SplitMix64 random)
    {
        switch (type)
        {
            case "text.mixing":
                var (a, b, mix) = random.Pick(SyntheticWords.Mixtures);
                if (random.NextInt(2) == 1)
                    (a, b) = (b, a);
                return new(type, $"What colour do you get mixing {a} and {b}?", $"{mix}.");
            case "text.sides":
                var (shape, sides) = random.Pick(SyntheticWords.Sides);
                return new(type, $"How many sides does a {shape} have?", $"{sides}.");
            case "text.category":
                bool colour = random.NextInt(2) == 0;
                var word = colour ? random.Pick(SyntheticWords.ColourNames) : random.Pick(SyntheticWords.Shapes);
                return new(type, $"Is {word} a colour or a shape?", colour ? "colour." : "shape.");
            case "text.opposite":
                var (x, y) = random.Pick(SyntheticWords.Opposites);
                if (random.NextInt(2) == 1)
                    (x, y) = (y, x);
                return new(type, $"What is the opposite of {x}?", $"{y}.");
            default:
                throw Unknown(type, TextTypes);
        }
    }

    /// <summary>Every answer any question can have, sorted ordinally.</summary>
    public static IReadOnlyList<string> AnswerVocabulary()
    {
        var words = new List<string>();
        words.AddRange(SyntheticWords.ColourNames.Concat(SyntheticWords.Shapes).Concat(SyntheticWords.Numbers.Take(3)).Concat(SyntheticWords.Positions));
        words.AddRange(SyntheticWords.PitchNames.Concat(SyntheticWords.Patterns).Concat(SyntheticWords.Sources));
        words.AddRange(SyntheticWords.Mixtures.Select(m => m.Mix).Concat(SyntheticWords.Sides.Select(s => s.Sides)).Concat(["colour", "shape"]));
        words.AddRange(SyntheticWords.Opposites.SelectMany(o => new[] { o.Word, o.Opposite }));
        var answers = words.Select(w => w + ".").ToList();
        answers.AddRange(
            from colour in SyntheticWords.ColourNames from pitch in SyntheticWords.PitchNames select $"{colour}, {pitch}.");
        answers.AddRange(
            from count in SyntheticWords.Numbers.Take(3) from pattern in SyntheticWords.Patterns select $"{count}, {pattern}.");
        return answers.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    private static ArgumentException Unknown(string type, string[] known) =>
        new($"unknown question type '{type}'; expected one of {string.Join(", ", known)}.", nameof(type));
}
