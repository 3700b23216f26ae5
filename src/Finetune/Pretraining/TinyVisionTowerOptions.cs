namespace MMAdapt.Finetune.Pretraining;

/// <summary>Sizes and training settings of the tiny CLIP-architecture vision tower (see <see cref="TinyVisionPretrainer"/>).</summary>
/// <remarks>Defaults: 64x64 input in 8x8 patches (64 patches and a class token), width 64, 3 layers, about 170k
/// parameters (0.7 MB of float32).</remarks>
public sealed record TinyVisionTowerOptions
{
    /// <summary>Optimiser, seed and schedule: 2000 steps, as position (the last attribute learnt) needs them.</summary>
    public TowerTrainingOptions Training { get; init; } = new() { Steps = 2000, LogEvery = 100 };
    /// <summary>Side of the rendered scenes in pixels (the synthetic dataset's image size).</summary>
    public int SceneSize { get; init; } = 64;
    /// <summary>Tower input side (<c>image_size</c>); the preprocessor resizes scenes to it.</summary>
    public int ImageSize { get; init; } = 64;
    /// <summary><c>patch_size</c>: an 8-pixel patch is a bit less than a 12-pixel grid cell, so shapes keep their outline.</summary>
    public int PatchSize { get; init; } = 8;
    /// <summary><c>hidden_size</c>.</summary>
    public int HiddenSize { get; init; } = 64;
    /// <summary><c>intermediate_size</c> (CLIP's 4x).</summary>
    public int IntermediateSize { get; init; } = 256;
    /// <summary><c>num_hidden_layers</c>.</summary>
    public int Layers { get; init; } = 3;
    /// <summary><c>num_attention_heads</c>.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Fraction of the 450 (colour, shape, count, position) combinations never trained on, to measure
    /// accuracy on unseen scenes: each attribute value is seen, only not in that combination.</summary>
    public double HeldOutFraction { get; init; } = 0.15;

    /// <summary>A few steps of a narrower tower: seconds, for proving byte-identical reruns.</summary>
    public static TinyVisionTowerOptions Fast { get; } = new()
    {
        Training = new TowerTrainingOptions { Steps = 6, BatchSize = 8, WarmupSteps = 2, LogEvery = 2 },
        HiddenSize = 32, IntermediateSize = 64, Layers = 2, Heads = 2,
    };

    /// <summary>Checks every setting is in range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        Training.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(SceneSize, 32, nameof(SceneSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PatchSize, nameof(PatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageSize, PatchSize, nameof(ImageSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Layers, nameof(Layers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(IntermediateSize, nameof(IntermediateSize));
        if (Heads <= 0 || HiddenSize <= 0 || HiddenSize % Heads != 0)
            throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, $"{nameof(HiddenSize)} must be a positive multiple of {nameof(Heads)} ({Heads}).");
        if (!(HeldOutFraction > 0 && HeldOutFraction < 0.5))
            throw new ArgumentOutOfRangeException(nameof(HeldOutFraction), HeldOutFraction, $"{nameof(HeldOutFraction)} must be in (0, 0.5).");
    }
}
