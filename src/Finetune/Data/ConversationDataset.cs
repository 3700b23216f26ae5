using MMAdapt.Models.Chat;

namespace MMAdapt.Finetune.Data;

/// <summary>
/// Loads a conversation dataset (ShareGPT-style or LLaVA rows, as a JSON array or JSONL) into checked
/// <see cref="ConversationSample"/>s.
/// </summary>
/// <remarks>
/// <para>Checks per row: the turns are a non-empty list with known roles and at least one assistant turn (not needed
/// when the row has an integer <c>label</c>, its class for <c>classify</c> stages: see <see cref="ClassLabels"/>);
/// the image and audio placeholders across the messages are as many as the attached images and audios
/// (see <see cref="DatasetLoadOptions.AddMissingPlaceholders"/>); media paths, relative to the dataset
/// file's folder (absolute ones only inside it), do not leave that folder, also through symbolic links,
/// and (with <see cref="DatasetLoadOptions.CheckMediaExists"/>) are existing files.</para>
/// <para>Every failure is a <see cref="DatasetException"/> naming the file, the row (the JSONL line, or the
/// JSON array index) and what was expected; malformed JSON names the line. Media are not decoded here.</para>
/// </remarks>
public static class ConversationDataset
{
    /// <summary>Loads and checks every row of <paramref name="path"/>, in file order.</summary>
    /// <param name="path">A <c>.json</c> file holding an array of rows, or a <c>.jsonl</c> file with one row per line.</param>
    /// <param name="format">The rows' layout; <see cref="DatasetFormat.Auto"/> decides from the first row.</param>
    /// <param name="options">Checks and placeholders (default <see cref="DatasetLoadOptions.Default"/>).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetException">A row fails a check (the message names the file and the row).</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static IReadOnlyList<ConversationSample> Load(string path, DatasetFormat format = DatasetFormat.Auto, DatasetLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= DatasetLoadOptions.Default;
        options.Validate();
        var file = Path.GetFullPath(path);
        if (!File.Exists(file))
            throw new FileNotFoundException($"{file}: dataset file not found.", file);

        var media = new MediaPathResolver(Path.GetDirectoryName(file)!);
        var samples = new List<ConversationSample>();
        DatasetFormat? fileFormat = format == DatasetFormat.Auto ? null : format;
        foreach (var row in DatasetRows.Read(file))
        {
            var reader = new RowReader(file, row);
            fileFormat ??= Detect(reader);
            var parsed = RowLayout.Of(fileFormat.Value).Parse(reader);
            var label = reader.OptionalInteger(ClassLabels.Key, "an integer class label (0, 1, ...)");
            CheckTurns(reader, parsed, label is not null);
            var messages = PlaceholderRules.Apply(reader, parsed, options);
            var images = parsed.Images.Select(p => media.Resolve(reader, "image", p, options.CheckMediaExists)).ToArray();
            var audios = parsed.Audios.Select(p => media.Resolve(reader, "audio", p, options.CheckMediaExists)).ToArray();
            samples.Add(new ConversationSample(file, row.Row, messages, images, audios) { Label = label, Location = row.Location });
        }
        return samples;
    }

    /// <summary>The format of a row by its keys.</summary>
    private static DatasetFormat Detect(RowReader row)
    {
        if (row.Has(RowLayout.ShareGpt.TurnsKey))
            return DatasetFormat.ShareGpt;
        if (row.Has(RowLayout.Llava.TurnsKey))
            return DatasetFormat.Llava;
        var keys = string.Join(", ", row.Element.EnumerateObject().Select(p => $"'{p.Name}'"));
        throw row.Fail(
            $"cannot tell the format: expected '{RowLayout.ShareGpt.TurnsKey}' (ShareGPT) or '{RowLayout.Llava.TurnsKey}' (LLaVA); keys present: {(keys.Length == 0 ? "none" : keys)}.");
    }

    // A labelled row may be a user turn alone (the media placeholder, say): a classify stage learns from its label.
    private static void CheckTurns(RowReader row, ParsedRow parsed, bool labelled)
    {
        if (parsed.Messages.Count == 0)
            throw row.Fail($"'{parsed.TurnsKey}' is empty; expected a conversation with at least one user and one assistant turn" +
                           (labelled ? " (or, with a 'label', at least a user turn)." : "."));
        if (!labelled && !parsed.Messages.Any(m => m.Role == ChatMessage.AssistantRole))
            throw row.Fail(
                $"no assistant turn (roles: {string.Join(", ", parsed.Messages.Select(m => m.Role))}); expected at least one assistant turn to train on, or a '{ClassLabels.Key}' to classify.");
    }
}
