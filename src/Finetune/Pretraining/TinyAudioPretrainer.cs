using System.Diagnostics;
using MMAdapt.Encoders.Audio;
using MMAdapt.Encoders.Whisper;
using MMAdapt.Finetune.Data;
using MMAdapt.Finetune.Synthetic;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Pretraining;

/// <summary>
/// Pretrains the repository's tiny Whisper-architecture audio encoder on the synthetic sounds, so that a frozen copy
/// already "hears" pitch, pattern and source. Each sound is synthesised as the dataset does (1 s of 16-bit samples at
/// 16 kHz), scaled to [-1, 1) as a WAV reader does and turned into log-mel features by the folder's own
/// <see cref="WhisperFeatureExtractor"/>, exactly as <see cref="Multimodal.AudioPart"/> does at inference. Linear
/// heads over the mean of the encoder's <c>last_hidden_state</c> frames predict the three attributes; the heads are
/// then discarded and the encoder is written as a <c>WhisperModel</c> folder without decoder.
/// </summary>
/// <remarks>
/// The positions are Whisper's fixed sinusoids (as in HF, not trained): they let attention and the MLPs tell the start
/// of a sound from its end, which rising versus falling needs. Accuracy is measured on sounds from another random
/// stream than the training ones. The same options give byte-identical files (one torch thread, seeded everything).
/// </remarks>
public static class TinyAudioPretrainer
{
    /// <summary>The attributes the heads predict, in label-column order, with their class counts.</summary>
    internal static readonly (string Name, int Classes)[] Attributes =
    [
        ("pitch", SyntheticWords.Pitches.Length), ("pattern", SyntheticWords.Patterns.Length), ("source", SyntheticWords.Sources.Length),
    ];

    private const double Log2MaxTimescale = 13.287712379549449; // log2(10000), Whisper's longest sinusoid period

    /// <summary>Trains an encoder and writes it into <paramref name="outputFolder"/> (created if missing).</summary>
    /// <param name="outputFolder">Where the Hugging Face folder is written.</param>
    /// <param name="options">Sizes, seed and schedule.</param>
    /// <param name="log">Receives progress lines, or null.</param>
    /// <returns>Held-out accuracies per attribute, losses and wall time.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static TowerPretrainingReport Train(string outputFolder, TinyAudioTowerOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        var config = TinyTowerFiles.WriteWhisperConfig(outputFolder, options.HiddenSize, options.FfnSize, options.Layers, options.Heads);
        using var extractor = WhisperFeatureExtractor.FromPretrained(outputFolder);
        int threads = get_num_threads();
        set_num_threads(1); // one thread: reductions in a fixed order, so reruns give identical bytes
        try
        {
            int seed = options.Training.Seed;
            using var train = Examples(seed, split: 0, options.TrainingClips, extractor);
            using var heldOut = Examples(seed, split: 1, options.HeldOutClips, extractor);
            using var encoder = new WhisperEncoder(config);
            TinyTowerFiles.RandomInitialise(encoder, seed);
            SetSinusoidalPositions(encoder);
            long parameters = encoder.parameters().Sum(p => p.numel());
            log?.WriteLine($"audio encoder: {parameters} parameters, {config.MaxSourcePositions} positions; " +
                           $"{train.Count} training sounds, {heldOut.Count} held-out ({clock.Elapsed.TotalSeconds:F1} s to synthesise)");
            var result = AttributeTrainer.Train(encoder, features => [encoder.Forward(features).LastHiddenState.mean([1])], config.DModel,
                [TowerFeatures.LastHiddenState], Attributes, train, heldOut, options.Training, log);
            TinyTowerFiles.SaveWhisper(outputFolder, encoder);
            return new TowerPretrainingReport(Path.GetFullPath(outputFolder), parameters, train.Count, heldOut.Count,
                result.FirstLoss, result.FinalLoss, result.HeldOutAccuracy, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    /// <summary>Sound <paramref name="index"/> of a random stream: its spec and 16-bit samples, as the dataset draws them.</summary>
    internal static (ToneSpec Spec, short[] Samples) Sound(int seed, int split, int index)
    {
        var spec = ToneSpec.Random(SplitMix64.ForStream(seed, split, index, 0));
        return (spec, ToneSynthesizer.Synthesize(spec, TinyTowerFiles.SampleRate, TinyTowerFiles.ChunkSeconds, SplitMix64.ForStream(seed, split, index, 1)));
    }

    /// <summary>The encoder input of 16-bit samples: scaled by 1/32768 as a WAV reader does, then log-mel, <c>[mels, frames]</c>.</summary>
    internal static Tensor InputFeatures(short[] samples, WhisperFeatureExtractor extractor) =>
        extractor.Extract(samples.Select(s => (float)(s / 32768.0)).ToArray());

    /// <summary>The class index of each attribute, in <see cref="Attributes"/> order.</summary>
    internal static long[] Labels(ToneSpec spec) =>
    [
        SyntheticWords.PitchNames.ToList().IndexOf(spec.Pitch), Array.IndexOf(SyntheticWords.Patterns, spec.Pattern),
        Array.IndexOf(SyntheticWords.Sources, spec.Source),
    ];

    private static LabelledExamples Examples(int seed, int split, int count, WhisperFeatureExtractor extractor)
    {
        using var scope = NewDisposeScope();
        var inputs = new Tensor[count];
        var labels = new long[count][];
        for (int i = 0; i < count; i++)
        {
            var (spec, samples) = Sound(seed, split, i);
            inputs[i] = InputFeatures(samples, extractor);
            labels[i] = Labels(spec);
        }
        var examples = LabelledExamples.Stack(inputs, labels);
        examples.Inputs.MoveToOuterDisposeScope();
        examples.Labels.MoveToOuterDisposeScope();
        return examples;
    }

    // Whisper's positions: sin of position * 10000^(-k / (half - 1)) in the first half of the channels, cos in the second; frozen.
    private static void SetSinusoidalPositions(WhisperEncoder encoder)
    {
        var weight = encoder.named_parameters().Single(p => p.name == "embed_positions.weight").parameter;
        int length = (int)weight.shape[0], half = (int)weight.shape[1] / 2;
        var values = new float[length * half * 2];
        for (int t = 0; t < length; t++)
            for (int k = 0; k < half; k++)
            {
                double angle = t * PortableMath.Exp2(-Log2MaxTimescale * k / Math.Max(1, half - 1));
                values[t * 2 * half + k] = (float)PortableMath.Sin(angle);
                values[t * 2 * half + half + k] = (float)PortableMath.Cos(angle);
            }
        using (no_grad())
        {
            using var table = tensor(values).reshape(length, 2 * half);   // [positions, d_model]
            weight.copy_(table);
        }
        weight.requires_grad_(false);
    }
}
