namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// Words for what a synthetic picture or sound holds, in the dataset's own vocabulary: the quickstart's language model
/// reads these in place of the media while it is pretrained, so it learns to answer from a description.
/// </summary>
internal static class SyntheticCaptions
{
    /// <summary><c>(picture: two red circles, left)</c>.</summary>
    public static string Picture(ShapeScene scene) =>
        $"(picture: {scene.CountWord} {scene.Colour} {scene.Shape}{(scene.Count == 1 ? "" : "s")}, {scene.Position})";

    /// <summary><c>(sound: low steady tone)</c>.</summary>
    public static string Sound(ToneSpec tone) => $"(sound: {tone.Pitch} {tone.Pattern} {tone.Source})";
}
