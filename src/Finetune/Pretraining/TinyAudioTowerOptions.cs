namespace MMAdapt.Finetune.Pretraining;

/// <summary>Sizes and training settings of the tiny Whisper-architecture audio encoder (see <see cref="TinyAudioPretrainer"/>).</summary>
/// <remarks>Defaults: 80 mels, 1 s chunks (100 mel frames, 50 positions), width 64, 3 layers, about 180k parameters
/// (0.7 MB of float32).</remarks>
public sealed record TinyAudioTowerOptions
{
    /// <summary>Optimiser, seed and schedule (600 steps: every held-out sound right after ~400).</summary>
    public TowerTrainingOptions Training { get; init; } = new();
    /// <summary><c>d_model</c>.</summary>
    public int HiddenSize { get; init; } = 64;
    /// <summary><c>encoder_ffn_dim</c>.</summary>
    public int FfnSize { get; init; } = 256;
    /// <summary><c>encoder_layers</c>.</summary>
    public int Layers { get; init; } = 3;
    /// <summary><c>encoder_attention_heads</c>.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Sounds synthesised for training (sampled with replacement into batches); each has its own jitter and noise.</summary>
    public int TrainingClips { get; init; } = 1200;
    /// <summary>Fresh sounds (another random stream) on which accuracy is measured.</summary>
    public int HeldOutClips { get; init; } = 480;

    /// <summary>A few steps of a narrower encoder on few clips: seconds, for proving byte-identical reruns.</summary>
    public static TinyAudioTowerOptions Fast { get; } = new()
    {
        Training = new TowerTrainingOptions { Steps = 6, BatchSize = 8, WarmupSteps = 2, LogEvery = 2 },
        HiddenSize = 32, FfnSize = 64, Layers = 2, Heads = 2, TrainingClips = 32, HeldOutClips = 16,
    };

    /// <summary>Checks every setting is in range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        Training.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Layers, nameof(Layers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(FfnSize, nameof(FfnSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TrainingClips, nameof(TrainingClips));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HeldOutClips, nameof(HeldOutClips));
        if (Heads <= 0 || HiddenSize <= 0 || HiddenSize % Heads != 0 || HiddenSize % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize,
                $"{nameof(HiddenSize)} must be an even, positive multiple of {nameof(Heads)} ({Heads}) (the sinusoidal positions pair sin and cos).");
    }
}
