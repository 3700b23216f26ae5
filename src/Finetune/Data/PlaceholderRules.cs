using MMAdapt.Models.Chat;

namespace MMAdapt.Finetune.Data;

/// <summary>
/// Checks that a row has as many image (audio) placeholders across its messages as attached images
/// (audios), and, when asked, prepends the missing ones LLaVA-style to the first user turn.
/// </summary>
internal static class PlaceholderRules
{
    /// <summary>Occurrences of <paramref name="placeholder"/> in <paramref name="text"/> (not overlapping).</summary>
    public static int Count(string text, string placeholder)
    {
        int count = 0;
        for (int at = text.IndexOf(placeholder, StringComparison.Ordinal); at >= 0; at = text.IndexOf(placeholder, at + placeholder.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    /// <summary>The row's messages, with placeholders added where allowed and needed.</summary>
    /// <exception cref="DatasetException">A count does not match (the message gives both counts), or placeholders
    /// must be added but there is no user turn.</exception>
    public static IReadOnlyList<ChatMessage> Apply(RowReader row, ParsedRow parsed, DatasetLoadOptions options)
    {
        var messages = parsed.Messages;
        int images = messages.Sum(m => Count(m.Content, options.ImagePlaceholder));
        int audios = messages.Sum(m => Count(m.Content, options.AudioPlaceholder));
        if (options.AddMissingPlaceholders)
        {
            var prefix = "";
            if (images == 0 && parsed.Images.Count > 0)
            {
                prefix += string.Concat(Enumerable.Repeat(options.ImagePlaceholder + "\n", parsed.Images.Count));
                images = parsed.Images.Count;
            }

            if (audios == 0 && parsed.Audios.Count > 0)
            {
                prefix += string.Concat(Enumerable.Repeat(options.AudioPlaceholder + "\n", parsed.Audios.Count));
                audios = parsed.Audios.Count;
            }

            if (prefix.Length > 0)
                messages = Prepend(row, parsed, prefix);
        }

        Check(row, images, parsed.Images.Count, options.ImagePlaceholder, "image");
        Check(row, audios, parsed.Audios.Count, options.AudioPlaceholder, "audio");
        return messages;
    }

    private static ChatMessage[] Prepend(RowReader row, ParsedRow parsed, string prefix)
    {
        var messages = parsed.Messages.ToArray();
        int first = Array.FindIndex(messages, m => m.Role == ChatMessage.UserRole);
        if (first < 0)
            throw row.Fail($"has media but no user turn in '{parsed.TurnsKey}' to put their placeholders in.");
        messages[first] = messages[first] with { Content = prefix + messages[first].Content };
        return messages;
    }

    private static void Check(RowReader row, int placeholders, int attached, string placeholder, string kind)
    {
        if (placeholders != attached)
            throw row.Fail(
                $"{placeholders} '{placeholder}' placeholder(s) in the messages but {attached} {kind}(s) attached; expected one placeholder per {kind}" +
                (placeholders == 0 ? " (DatasetLoadOptions.AddMissingPlaceholders adds missing ones to the first user turn)." : "."));
    }
}
