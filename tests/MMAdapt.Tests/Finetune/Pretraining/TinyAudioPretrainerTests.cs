using MMAdapt.Encoders;
using MMAdapt.Encoders.Audio;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Pretraining;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Finetune.Pretraining;

public class TinyAudioPretrainerTests
{
    [Fact]
    public void Fast_mode_twice_writes_byte_identical_files()
    {
        var a = TowerFolderAssert.TrainsIdenticallyTwice(folder => TinyAudioPretrainer.Train(folder, TinyAudioTowerOptions.Fast));
        Assert.Equal(32, a.TrainingExamples);
        Assert.Equal(16, a.HeldOutExamples);
        Assert.Equal(["pitch", "pattern", "source"], a.HeldOutAccuracy.Select(x => x.Attribute));
    }

    [Fact]
    public void The_folder_loads_through_the_inference_paths_and_hears_sounds_as_the_pretrainer_did()
    {
        using var temp = new TempFolder();
        var folder = temp.File("audio");
        TinyAudioPretrainer.Train(folder, TinyAudioTowerOptions.Fast);
        var (spec, samples) = TinyAudioPretrainer.Sound(seed: 5, split: 0, index: 3);
        var wav = temp.File("sound.wav");
        File.WriteAllBytes(wav, WavWriter.Pcm16Mono(samples, 16000));

        using var part = AudioPart.Load(folder);
        var prepared = part.Prepare(wav);
        Assert.Equal([80L, 100], prepared.Shape);
        Assert.Equal(50, prepared.EncoderTokens); // 1 s fills the chunk: nothing trimmed
        // The pretrainer's log-mel features are the inference path's, value for value.
        using (var extractor = WhisperFeatureExtractor.FromPretrained(folder))
        using (var features = TinyAudioPretrainer.InputFeatures(samples, extractor))
            Assert.Equal(prepared.Values, features.data<float>().ToArray());

        using var pipeline = EncoderPipeline.Load(folder);
        var outputs = pipeline.Encode(wav);
        using var encoded = part.Encode(tensor(prepared.Values).reshape(1, 80, 100), null);   // [1, 50, d_model]
        Assert.Equal([1L, 50, 32], encoded.shape);
        TensorAssert.Close(encoded, outputs["last_hidden_state"], 1e-6, "last_hidden_state");
        foreach (var output in outputs.Values)
            output.Dispose();
        Assert.Contains(spec.Pattern, SyntheticWords.Patterns);
    }

    [Fact]
    public void Positions_are_whisper_sinusoids_and_stay_fixed()
    {
        using var temp = new TempFolder();
        TinyAudioPretrainer.Train(temp.File("audio"), TinyAudioTowerOptions.Fast);
        using var checkpoint = MMAdapt.Core.Checkpoints.CheckpointReader.Open(temp.File("audio"));
        using var positions = checkpoint.Read("encoder.embed_positions.weight");   // [50, 32]: sin of 16 rates, then cos
        Assert.Equal([50L, 32], positions.shape);
        // Position 1, channel 0: sin(1 * 10000^0) = sin 1; channel 16: cos 1; channel 15 (slowest rate, 1e-4): sin(1e-4).
        Assert.Equal(Math.Sin(1), positions[1, 0].item<float>(), 6);
        Assert.Equal(Math.Cos(1), positions[1, 16].item<float>(), 6);
        Assert.Equal(Math.Sin(1e-4), positions[1, 15].item<float>(), 6);
    }

    [Fact]
    public void A_short_run_tells_pitch_and_source_apart_on_fresh_sounds()
    {
        using var temp = new TempFolder();
        var options = new TinyAudioTowerOptions
        {
            Training = new TowerTrainingOptions { Steps = 300 },
            HiddenSize = 32, FfnSize = 128, Layers = 2, Heads = 2, TrainingClips = 384, HeldOutClips = 96,
        };
        var report = TinyAudioPretrainer.Train(temp.File("audio"), options);
        // Measured (seed 0): pitch 1.0, source 0.96, pattern 0.70 (chance 1/3, 1/2, 1/4); the full-length run gets all three right.
        Assert.True(report.Accuracy("pitch", TowerFeatures.LastHiddenState) >= 0.95, $"pitch {report.Accuracy("pitch", TowerFeatures.LastHiddenState):F3}");
        Assert.True(report.Accuracy("source", TowerFeatures.LastHiddenState) >= 0.9, $"source {report.Accuracy("source", TowerFeatures.LastHiddenState):F3}");
    }
}
