namespace MMAdapt.Finetune.Pretraining;

/// <summary>
/// A tiny, seeded English corpus about coloured shapes, for pretraining the repository's demo language
/// model: small enough to learn in a minute on a laptop CPU, regular enough that a 100k-parameter model
/// completes "the red circle is" sensibly.
/// </summary>
public static class ShapeSentences
{
    /// <summary>Colour words.</summary>
    public static IReadOnlyList<string> Colours { get; } = ["red", "green", "blue", "yellow", "purple", "orange", "black", "white"];

    /// <summary>Shape words (singular).</summary>
    public static IReadOnlyList<string> Shapes { get; } = ["circle", "square", "triangle", "star", "heart", "diamond"];

    private static readonly string[] Places = ["above", "below", "left of", "right of", "next to"];
    private static readonly string[] Sizes = ["small", "large", "tiny", "big"];
    private static readonly string[] Numbers = ["two", "three", "four", "five"];

    /// <summary>Generates <paramref name="count"/> sentences; the same seed gives the same sentences.</summary>
    public static IReadOnlyList<string> Generate(int count, int seed)
    {
        var random = new Random(seed);
        string Pick(IReadOnlyList<string> words) => words[random.Next(words.Count)];
        var sentences = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            string colour = Pick(Colours), shape = Pick(Shapes);
            sentences.Add(random.Next(5) switch
            {
                0 => $"the {colour} {shape} is {Pick(Places)} the {Pick(Colours)} {Pick(Shapes)}.",
                1 => $"there are {Pick(Numbers)} {colour} {shape}s in the picture.",
                2 => $"a {Pick(Sizes)} {colour} {shape} sits in the middle.",
                3 => $"the {shape} is {colour}.",
                _ => $"i can see a {colour} {shape} and a {Pick(Colours)} {Pick(Shapes)}.",
            });
        }
        return sentences;
    }
}
