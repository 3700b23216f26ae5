namespace MMAdapt.Finetune.Synthetic;

/// <summary>What <see cref="SyntheticDataset.Generate"/> makes; the same options give byte-identical files.</summary>
public sealed record SyntheticDatasetOptions
{
    /// <summary>Seed of everything drawn: row kinds, questions, shapes, sounds, noise.</summary>
    public long Seed { get; init; }

    /// <summary>Training rows (<c>train.jsonl</c>), at least 1. Default 1000.</summary>
    public int Count { get; init; } = 1000;

    /// <summary>Held-out rows (<c>test.jsonl</c>), 0 or more. Default 100.</summary>
    public int TestCount { get; init; } = 100;

    /// <summary>Side of the square images in pixels, 32 to 1024. Default 64.</summary>
    public int ImageSize { get; init; } = 64;

    /// <summary>Audio sample rate in Hz, 16000 to 96000 (the highest sounds reach about 5.4 kHz). Default 16000 (Whisper's and AST's).</summary>
    public int SampleRate { get; init; } = 16000;

    /// <summary>Length of each sound in seconds, 0.25 to 30. Default 1.</summary>
    public double AudioSeconds { get; init; } = 1.0;

    /// <summary>Upper bound on the tokenizer's vocabulary (special tokens and the 256 bytes included), 261 to 1000; fewer
    /// when the text runs out of pairs to merge. Default 512.</summary>
    public int TokenizerVocabSize { get; init; } = 512;

    /// <summary>Checks every option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it and the range).</exception>
    public void Validate()
    {
        Check(Count, 1, 10_000_000, nameof(Count));
        Check(TestCount, 0, 10_000_000, nameof(TestCount));
        Check(ImageSize, 32, 1024, nameof(ImageSize));
        Check(SampleRate, 16000, 96000, nameof(SampleRate));
        if (!(AudioSeconds >= 0.25 && AudioSeconds <= 30))
            throw new ArgumentOutOfRangeException(nameof(AudioSeconds), AudioSeconds, $"{nameof(AudioSeconds)} must be between 0.25 and 30, got {AudioSeconds}.");
        Check(TokenizerVocabSize, 261, 1000, nameof(TokenizerVocabSize));
    }

    private static void Check(int value, int min, int max, string name)
    {
        if (value < min || value > max)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {max}, got {value}.");
    }
}
