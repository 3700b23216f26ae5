using System.Diagnostics;
using MMAdapt.Encoders.Images;
using MMAdapt.Encoders.Vision;
using MMAdapt.Finetune.Synthetic;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Pretraining;

/// <summary>
/// Pretrains the repository's tiny CLIP-architecture vision tower on the synthetic shape scenes, so that a frozen copy
/// already "sees" colour, shape, count and position. Every scene is rendered as the dataset renders it (PNG), decoded
/// and preprocessed by the folder's own <see cref="ImagePreprocessor"/>, exactly as <see cref="Multimodal.VisionPart"/>
/// does at inference. Linear heads over the mean of the patch features predict the four attributes from both
/// hidden_states[-2] (the recipes' default <c>feature_layer</c>) and hidden_states[-1]; the heads are then discarded and
/// the tower is written as a <c>CLIPVisionModel</c> folder (config.json, preprocessor_config.json, model.safetensors).
/// </summary>
/// <remarks>
/// There are only 6 x 5 x 3 x 5 = 450 distinct scenes; <see cref="TinyVisionTowerOptions.HeldOutFraction"/> of these
/// combinations are never trained on and measure accuracy on unseen scenes. The same options give byte-identical
/// files: torch runs on one thread and every random choice comes from the seed.
/// </remarks>
public static class TinyVisionPretrainer
{
    /// <summary>The attributes the heads predict, in label-column order, with their class counts.</summary>
    internal static readonly (string Name, int Classes)[] Attributes =
    [
        ("colour", SyntheticWords.Colours.Length), ("shape", SyntheticWords.Shapes.Length),
        ("count", 3), ("position", SyntheticWords.Positions.Length),
    ];

    private const double PositionScale = 20; // 0.02 * 20 = 0.4

    /// <summary>Trains a tower and writes it into <paramref name="outputFolder"/> (created if missing).</summary>
    /// <param name="outputFolder">Where the Hugging Face folder is written.</param>
    /// <param name="options">Sizes, seed and schedule.</param>
    /// <param name="log">Receives progress lines, or null.</param>
    /// <returns>Held-out accuracies per attribute and readout, losses and wall time.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static TowerPretrainingReport Train(string outputFolder, TinyVisionTowerOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        var config = TinyTowerFiles.WriteClipVisionConfig(outputFolder, options.ImageSize, options.PatchSize, options.HiddenSize,
            options.IntermediateSize, options.Layers, options.Heads);
        var preprocessor = ImagePreprocessor.FromPretrained(outputFolder);
        int threads = get_num_threads();
        set_num_threads(1); // one thread: reductions in a fixed order, so reruns give identical bytes
        try
        {
            var (trainScenes, heldOutScenes) = Split(options);
            using var train = Examples(trainScenes, preprocessor, options.SceneSize);
            using var heldOut = Examples(heldOutScenes, preprocessor, options.SceneSize);
            using var tower = new VisionTower(config);
            TinyTowerFiles.RandomInitialise(tower, options.Training.Seed);
            AmplifyPositions(tower);
            long parameters = tower.parameters().Sum(p => p.numel());
            log?.WriteLine($"vision tower: {parameters} parameters, {config.Patches} patches of {config.PatchSize}x{config.PatchSize}; " +
                           $"{train.Count} training scenes, {heldOut.Count} held-out");
            var result = AttributeTrainer.Train(tower, pixels => Encode(tower, pixels), config.HiddenSize,
                [TowerFeatures.Penultimate, TowerFeatures.LastLayer], Attributes, train, heldOut, options.Training, log);
            TinyTowerFiles.SaveVision(outputFolder, tower);
            return new TowerPretrainingReport(Path.GetFullPath(outputFolder), parameters, train.Count, heldOut.Count,
                result.FirstLoss, result.FinalLoss, result.HeldOutAccuracy, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    /// <summary>Every distinct scene, in a fixed order (colour, shape, count, position).</summary>
    internal static IReadOnlyList<ShapeScene> AllScenes() =>
        (from colour in SyntheticWords.ColourNames
         from shape in SyntheticWords.Shapes
         from count in Enumerable.Range(1, 3)
         from position in SyntheticWords.Positions
         select new ShapeScene(shape, colour, count, position)).ToArray();

    /// <summary>The tower input of a scene: rendered to PNG as the dataset does, decoded and preprocessed, <c>[3, H, W]</c>.</summary>
    internal static Tensor PixelValues(ShapeScene scene, ImagePreprocessor preprocessor, int sceneSize) =>
        preprocessor.Preprocess(ImageDecoder.Decode(ShapeRenderer.RenderPng(scene, sceneSize), scene.ToString()));

    /// <summary>The class index of each attribute, in <see cref="Attributes"/> order.</summary>
    internal static long[] Labels(ShapeScene scene) =>
    [
        IndexOf(SyntheticWords.ColourNames, scene.Colour), IndexOf(SyntheticWords.Shapes, scene.Shape),
        scene.Count - 1, IndexOf(SyntheticWords.Positions, scene.Position),
    ];

    // The combinations shuffled by the seed: the first HeldOutFraction of them are held out.
    private static (IReadOnlyList<ShapeScene> Train, IReadOnlyList<ShapeScene> HeldOut) Split(TinyVisionTowerOptions options)
    {
        var scenes = AllScenes().ToArray();
        var random = Data.SplitMix64.ForStream(options.Training.Seed, 0);
        for (int i = scenes.Length - 1; i > 0; i--) // Fisher-Yates
        {
            int j = random.NextInt(i + 1);
            (scenes[i], scenes[j]) = (scenes[j], scenes[i]);
        }
        int heldOut = (int)Math.Round(options.HeldOutFraction * scenes.Length);
        return (scenes[heldOut..], scenes[..heldOut]);
    }

    private static LabelledExamples Examples(IReadOnlyList<ShapeScene> scenes, ImagePreprocessor preprocessor, int sceneSize)
    {
        using var scope = NewDisposeScope();
        var examples = LabelledExamples.Stack(scenes.Select(s => PixelValues(s, preprocessor, sceneSize)).ToArray(), scenes.Select(Labels).ToArray());
        examples.Inputs.MoveToOuterDisposeScope();
        examples.Labels.MoveToOuterDisposeScope();
        return examples;
    }

    // Mean of the patch features (class token dropped) of hidden_states[-2] and hidden_states[-1], each [batch, hidden].
    private static Tensor[] Encode(VisionTower tower, Tensor pixels)
    {
        var states = tower.Forward(pixels, outputHiddenStates: true).HiddenStates!;    // layers + 1 of [batch, 1 + patches, hidden]
        return [PatchMean(states[^2]), PatchMean(states[^1])];
    }

    // A white patch embeds to a vector of norm ~0.5 (192 pixel values near 2 times weights of 0.02) while positions
    // start at 0.02: after the pre-norm the tokens hardly differ by where they are, and position took longest to learn.
    // Positions at the patches' scale let the first layers see them from the start.
    private static void AmplifyPositions(VisionTower tower)
    {
        using var _ = no_grad();
        tower.named_parameters().Single(p => p.name.EndsWith("position_embedding.weight", StringComparison.Ordinal)).parameter.mul_(PositionScale);
    }

    private static Tensor PatchMean(Tensor state) => state.narrow(1, 1, state.shape[1] - 1).mean([1]);

    private static int IndexOf(IReadOnlyList<string> words, string word) => words.ToList().IndexOf(word);
}
