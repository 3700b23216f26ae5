namespace MMAdapt.Finetune.Data;

/// <summary>How <see cref="ConversationDataset.Load"/> checks and completes rows.</summary>
public sealed record DatasetLoadOptions
{
    /// <summary>The default options.</summary>
    public static DatasetLoadOptions Default { get; } = new();

    /// <summary>Fail on a media path that is not an existing file (default true). Path containment is checked either way.</summary>
    public bool CheckMediaExists { get; init; } = true;

    /// <summary>The text that marks where an image goes in a message (default <c>&lt;image&gt;</c>).</summary>
    public string ImagePlaceholder { get; init; } = "<image>";

    /// <summary>The text that marks where an audio clip goes in a message (default <c>&lt;audio&gt;</c>).</summary>
    public string AudioPlaceholder { get; init; } = "<audio>";

    /// <summary>
    /// LLaVA style: when a row has images (audios) but no image (audio) placeholder at all, prepend one
    /// placeholder per item, each followed by a newline, to the first user turn (images before audios).
    /// A row with some placeholders but the wrong number still fails. Default false.
    /// </summary>
    public bool AddMissingPlaceholders { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A placeholder is empty, or both are the same text, or one contains the other.</exception>
    public void Validate()
    {
        if (string.IsNullOrEmpty(ImagePlaceholder))
            throw new ArgumentException("ImagePlaceholder must not be empty.", nameof(ImagePlaceholder));
        if (string.IsNullOrEmpty(AudioPlaceholder))
            throw new ArgumentException("AudioPlaceholder must not be empty.", nameof(AudioPlaceholder));
        if (ImagePlaceholder.Contains(AudioPlaceholder, StringComparison.Ordinal) || AudioPlaceholder.Contains(ImagePlaceholder, StringComparison.Ordinal))
            throw new ArgumentException(
                $"ImagePlaceholder '{ImagePlaceholder}' and AudioPlaceholder '{AudioPlaceholder}' must differ and neither may contain the other.",
                nameof(AudioPlaceholder));
    }
}
