using MMAdapt.Core.Checkpoints;
using MMAdapt.Encoders.Ast;
using MMAdapt.Encoders.Audio;
using MMAdapt.Encoders.Whisper;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Encoders.Towers;

/// <summary>From a WAV file to tower features, through MMAdapt's own front ends.</summary>
public class AudioPipelineTests
{
    [Fact]
    public void Whisper_wav_to_features_matches_the_reference()
    {
        using var extractor = WhisperFeatureExtractor.FromPretrained(FixturePaths.Of("whisper_encoder"));
        using var encoder = WhisperEncoder.FromPretrained(FixturePaths.Of("whisper_encoder"));
        var clip = AudioFileReader.Read(FixturePaths.Of("whisper_encoder", "audio_16k_mono.wav"), extractor.Config.SamplingRate);
        using var features = extractor.Extract(clip);
        using var expected = FixturePaths.Expected("whisper_encoder", "last_hidden_state");
        using var _ = no_grad();
        var output = encoder.Forward(features.unsqueeze(0));
        TensorAssert.Close(output.LastHiddenState[0], expected, 1e-4, "wav -> whisper features");
    }

    [Fact]
    public void Resampled_stereo_44k_file_goes_through_the_same_pipeline()
    {
        using var extractor = WhisperFeatureExtractor.FromPretrained(FixturePaths.Of("whisper_encoder"));
        using var encoder = WhisperEncoder.FromPretrained(FixturePaths.Of("whisper_encoder"));
        var clip = AudioFileReader.Read(FixturePaths.Of("whisper_encoder", "audio_44k_stereo.wav"), 16000);
        Assert.Equal(16000, clip.Samples.Length);
        using var features = extractor.Extract(clip);
        using var _ = no_grad();
        var output = encoder.Forward(features.unsqueeze(0));
        Assert.Equal(new long[] { 1, 50, 48 }, output.LastHiddenState.shape);
        Assert.False(output.LastHiddenState.isnan().any().item<bool>());
    }

    [Fact]
    public void Ast_wav_to_logits_matches_the_reference()
    {
        var extractor = AstFeatureExtractor.FromPretrained(FixturePaths.Of("ast"));
        using var model = AstModel.FromPretrained(FixturePaths.Of("ast"));
        var clip = AudioFileReader.Read(FixturePaths.Of("ast", "audio_16k_mono.wav"), extractor.Config.SamplingRate);
        using var input = extractor.Extract(clip);
        using var expectedInput = FixturePaths.Expected("ast", "input_values");
        using var expectedLogits = FixturePaths.Expected("ast", "logits");
        using var difference = (input - expectedInput).abs().max();
        Assert.True(difference.item<float>() <= 1e-3f, $"input_values max abs diff {difference.item<float>()}");
        using var _ = no_grad();
        var output = model.Forward(input.unsqueeze(0));
        TensorAssert.Close(output.Logits![0], expectedLogits, 1e-4, "wav -> AST logits");
    }
}
