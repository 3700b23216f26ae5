namespace MMAdapt.Finetune.Data;

/// <summary>
/// A dataset file that cannot be loaded: malformed JSON, a row of the wrong shape, an unknown role, a
/// placeholder count that does not match the attached media, a media path that is missing or leaves the
/// dataset's folder. The message names the file, the place and what was expected:
/// <c>"FILE, line 7: detail"</c> (JSONL rows and JSON syntax errors), <c>"FILE, row 4 (index 3): detail"</c>
/// (rows of a JSON array) or <c>"FILE: detail"</c> (the whole file).
/// An <see cref="IOException"/>, as the image and audio decoding errors are.
/// </summary>
public sealed class DatasetException : IOException
{
    /// <summary>Creates the exception; the message is composed from the parts.</summary>
    /// <param name="filePath">The dataset file.</param>
    /// <param name="location">Where in the file (<c>"line 7"</c>, <c>"row 4 (index 3)"</c>), or null for the whole file.</param>
    /// <param name="row">The 1-based row (<see cref="ConversationSample.Row"/>), or null when the fault is not in one row.</param>
    /// <param name="detail">What is wrong and what was expected, without the file name.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public DatasetException(string filePath, string? location, int? row, string detail, Exception? inner = null)
        : base(location is null ? $"{filePath}: {detail}" : $"{filePath}, {location}: {detail}", inner)
    {
        FilePath = filePath;
        Row = row;
        Detail = detail;
    }

    /// <summary>The dataset file.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based row at fault (JSONL line, or JSON array index + 1), or null.</summary>
    public int? Row { get; }

    /// <summary>What is wrong, without the file name and place.</summary>
    public string Detail { get; }
}
