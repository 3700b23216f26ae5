using MMAdapt.Finetune.Data;
using MMAdapt.Models.Chat;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// One synthetic conversation before it is written: its turns, the media it attaches (paths relative to the
/// dataset folder) and what the media show.
/// </summary>
/// <param name="Id">Unique within the dataset, e.g. <c>train_00012</c>.</param>
/// <param name="Kind"><c>image</c>, <c>audio</c>, <c>image_audio</c> or <c>text</c>.</param>
/// <param name="Messages">User and assistant turns; the first user turn starts with the placeholders.</param>
/// <param name="Questions">The questions asked, in turn order.</param>
/// <param name="Scene">The image's content, or null.</param>
/// <param name="Tone">The sound's content, or null.</param>
internal sealed record SyntheticRow(
    string Id, string Kind, IReadOnlyList<ChatMessage> Messages, IReadOnlyList<SyntheticQuestion> Questions, ShapeScene? Scene, ToneSpec? Tone)
{
    /// <summary>The image file, relative to the dataset folder, or null.</summary>
    public string? ImagePath => Scene is null ? null : $"images/{Id}.png";

    /// <summary>The audio file, relative to the dataset folder, or null.</summary>
    public string? AudioPath => Tone is null ? null : $"audio/{Id}.wav";

    /// <summary>
    /// Draws row <paramref name="id"/> from <paramref name="random"/>: its kind (image 35%, audio 30%, both 20%,
    /// text 15%), the media's content, and one question, or two (one time in three) about the same media.
    /// </summary>
    public static SyntheticRow Create(string id, SplitMix64 random)
    {
        int roll = random.NextInt(20);
        var kind = roll < 7 ? "image" : roll < 13 ? "audio" : roll < 17 ? "image_audio" : "text";
        var scene = kind is "image" or "image_audio" ? ShapeScene.Random(random) : null;
        var tone = kind is "audio" or "image_audio" ? ToneSpec.Random(random) : null;
        bool twoTurns = random.NextInt(3) == 0;

        var questions = new List<SyntheticQuestion>();
        switch (kind)
        {
            case "image":
                questions.AddRange(Distinct(SyntheticQuestions.ImageTypes, twoTurns ? 2 : 1, random).Select(t => SyntheticQuestions.AboutImage(t, scene!)));
                break;
            case "audio":
                questions.AddRange(Distinct(SyntheticQuestions.AudioTypes, twoTurns ? 2 : 1, random).Select(t => SyntheticQuestions.AboutAudio(t, tone!)));
                break;
            case "image_audio":
                questions.Add(SyntheticQuestions.AboutBoth(random.Pick(SyntheticQuestions.BothTypes), scene!, tone!));
                if (twoTurns)
                    questions.Add(random.NextInt(2) == 0
                        ? SyntheticQuestions.AboutImage(random.Pick(SyntheticQuestions.ImageTypes), scene!)
                        : SyntheticQuestions.AboutAudio(random.Pick(SyntheticQuestions.AudioTypes), tone!));
                break;
            default:
                questions.AddRange(Distinct(SyntheticQuestions.TextTypes, twoTurns ? 2 : 1, random).Select(t => SyntheticQuestions.FromText(t, random)));
                break;
        }

        var prefix = (scene is null ? "" : "<image>\n") + (tone is null ? "" : "<audio>\n");
        var messages = new List<ChatMessage>();
        foreach (var question in questions)
        {
            messages.Add(ChatMessage.User((messages.Count == 0 ? prefix : "") + question.Question));
            messages.Add(ChatMessage.Assistant(question.Answer));
        }
        return new SyntheticRow(id, kind, messages, questions, scene, tone);
    }

    // `count` different items of `items`, in drawing order.
    private static string[] Distinct(string[] items, int count, SplitMix64 random)
    {
        var pool = items.ToList();
        var chosen = new string[count];
        for (int i = 0; i < count; i++)
        {
            int k = random.NextInt(pool.Count);
            chosen[i] = pool[k];
            pool.RemoveAt(k);
        }
        return chosen;
    }
}
