using MMAdapt.Cli;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Encoders;
using MMAdapt.Encoders.Images;
using MMAdapt.Tests.Encoders.Audio;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Encoders;

[Collection(nameof(MMAdapt.Tests.Models.LogSinkCollection))]
public class EncoderPipelineTests
{
    private static double MeanAbsoluteDifference(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().mean();
        return d.item<float>();
    }

    [Theory]
    [InlineData("clip_vision", 17)]
    [InlineData("siglip_vision", 16)]
    public void Image_file_to_features_through_our_preprocessing(string fixture, int tokens)
    {
        // The fixtures resize 56x40 to 45x32 (round); Hugging Face truncates to 44x32, MMAdapt's default.
        var config = ImageProcessorConfig.Load(FixturePaths.Of(fixture, "preprocessor_config.json"));
        var fixtureConvention = new ImagePreprocessor(config with { ShortestEdgeRounding = ShortestEdgeRounding.Round });
        using var pipeline = EncoderPipeline.Load(FixturePaths.Of(fixture), imagePreprocessor: fixtureConvention);
        Assert.Equal(EncoderKind.Vision, pipeline.Kind);
        var result = pipeline.Encode(FixturePaths.Of("image", "image_56x40.png"), layer: -2);
        using var expectedPixels = FixturePaths.Expected(fixture, "image_pixel_values");
        using var expectedFeatures = FixturePaths.Expected(fixture, "image_last_hidden_state");
        Assert.True(MeanAbsoluteDifference(result["pixel_values"], expectedPixels) <= 0.02);
        TensorAssert.Close(result["last_hidden_state"], expectedFeatures, 2e-2, $"{fixture} image features");
        Assert.Equal(new long[] { 1, tokens, 48 }, result["hidden_states_layer_-2"].shape);
        Assert.Equal(["hidden_states_layer_-2", "last_hidden_state", "pixel_values"], result.Keys.Order(StringComparer.Ordinal));
        foreach (var t in result.Values) t.Dispose();
    }

    [Fact]
    public void Whisper_output_can_be_trimmed_to_the_real_audio_length()
    {
        using var pipeline = EncoderPipeline.Load(FixturePaths.Of("whisper_encoder"));
        using var temp = new TempFolder();
        var samples = Enumerable.Range(0, 4800).Select(i => (short)(8000 * Math.Sin(i * 0.05))).ToArray(); // 0.3 s
        File.WriteAllBytes(temp.File("short.wav"), new WavWriter { Data = WavWriter.Pcm16(samples) }.Build());
        var full = pipeline.Encode(temp.File("short.wav"));
        var trimmed = pipeline.Encode(temp.File("short.wav"), layer: 1, trimToAudio: true);
        Assert.Equal(new long[] { 1, 80, 100 }, full["input_features"].shape);
        Assert.Equal(new long[] { 1, 50, 48 }, full["last_hidden_state"].shape);
        Assert.Equal(new long[] { 1, 15, 48 }, trimmed["last_hidden_state"].shape); // 30 mel frames -> 15
        Assert.Equal(new long[] { 1, 15, 48 }, trimmed["hidden_states_layer_1"].shape);
        Assert.True(full["last_hidden_state"].narrow(1, 0, 15).eq(trimmed["last_hidden_state"]).all().item<bool>());
    }

    [Fact]
    public void Encode_command_writes_hf_named_tensors()
    {
        using var temp = new TempFolder();
        var output = new StringWriter();
        var error = new StringWriter();
        int code = MmadaptCli.Run(["encode", "--encoder", FixturePaths.Of("ast"), "--input", FixturePaths.Of("ast", "audio_16k_mono.wav"),
            "--output", temp.File("ast.safetensors"), "--layer", "-1"], output, error);
        Assert.True(code == 0, error.ToString());
        using var written = SafetensorsFile.Open(temp.File("ast.safetensors"));
        Assert.Equal(["hidden_states_layer_-1", "input_values", "last_hidden_state", "logits"], written.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(new long[] { 1, 100, 32 }, written.Info("input_values").Shape);
        Assert.Equal(new long[] { 1, 35, 48 }, written.Info("last_hidden_state").Shape);
        using var logits = written.Read("logits");
        using var expected = FixturePaths.Expected("ast", "logits");
        TensorAssert.Close(logits[0], expected, 1e-4, "logits from the CLI");
        Assert.Contains("logits", output.ToString());

        code = MmadaptCli.Run(["encode", "-e", FixturePaths.Of("whisper_encoder"), "-i", FixturePaths.Of("whisper_encoder", "audio_44k_stereo.wav"),
            "-o", temp.File("whisper.safetensors")], output, error);
        Assert.Equal(0, code);
        using var whisper = SafetensorsFile.Open(temp.File("whisper.safetensors"));
        Assert.Equal(new long[] { 1, 80, 100 }, whisper.Info("input_features").Shape);
        Assert.Equal(FixturePaths.Of("whisper_encoder"), whisper.Metadata["mmadapt.encoder"]);
    }

    [Theory]
    [InlineData("clip_vision", "image/image_56x40.png")]
    [InlineData("whisper_encoder", "whisper_encoder/audio_16k_mono.wav")]
    [InlineData("ast", "ast/audio_16k_mono.wav")]
    public void Repeated_encoding_leaks_no_tensors(string encoder, string input)
    {
        using var pipeline = EncoderPipeline.Load(FixturePaths.Of(encoder));
        var file = FixturePaths.Of(input.Split('/'));
        foreach (var t in pipeline.Encode(file, layer: -2).Values) t.Dispose(); // warm-up
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++)
            foreach (var t in pipeline.Encode(file, layer: -2).Values)
                t.Dispose();
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Theory]
    [InlineData("empty.png", "clip_vision", "empty.png")]
    [InlineData("text.png", "clip_vision", "text.png")]
    [InlineData("empty.wav", "whisper_encoder", "empty.wav")]
    [InlineData("missing.png", "clip_vision", "input file not found")]
    [InlineData("image.png", "llama", "is not an encoder MMAdapt loads")]
    public void Encode_errors_name_the_file(string input, string encoder, string expected)
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("empty.png"), []);
        File.WriteAllBytes(temp.File("empty.wav"), []);
        File.WriteAllText(temp.File("text.png"), "this is not an image");
        File.Copy(FixturePaths.Of("image", "image_56x40.png"), temp.File("image.png"));
        var output = new StringWriter();
        var error = new StringWriter();
        int code = MmadaptCli.Run(["encode", "-e", FixturePaths.Of(encoder), "-i", temp.File(input), "-o", temp.File("out.safetensors")], output, error);
        Assert.Equal(MmadaptCli.Failure, code);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(expected, lines[0]);
        Assert.False(File.Exists(temp.File("out.safetensors")));
    }
}
