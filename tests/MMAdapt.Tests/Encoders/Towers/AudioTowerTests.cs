using System.Text.Json.Nodes;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Ast;
using MMAdapt.Encoders.Whisper;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Encoders.Towers;

public class AudioTowerTests
{
    [Fact]
    public void Whisper_encoder_matches_the_reference_on_its_log_mel()
    {
        using var encoder = WhisperEncoder.FromPretrained(FixturePaths.Of("whisper_encoder"));
        using var logMel = FixturePaths.Expected("whisper_encoder", "log_mel");
        using var expected = FixturePaths.Expected("whisper_encoder", "last_hidden_state");
        using var _ = no_grad();
        var output = encoder.Forward(logMel.unsqueeze(0), outputHiddenStates: true);
        Assert.Equal(new long[] { 1, 50, 48 }, output.LastHiddenState.shape);
        TensorAssert.Close(output.LastHiddenState[0], expected, 1e-4, "whisper last_hidden_state");
        Assert.Equal(3, output.HiddenStates!.Count);
        Assert.Equal(6 * 2, encoder.modules().OfType<AdaptableLinear>().Count());
    }

    [Fact]
    public void Whisper_keys_and_prefixes()
    {
        using var encoder = WhisperEncoder.FromPretrained(FixturePaths.Of("whisper_encoder"));
        using var checkpoint = SafetensorsFile.Open(FixturePaths.Of("whisper_encoder", "model.safetensors"));
        Assert.Equal(checkpoint.Tensors.Select(t => t.Name[^(t.Name.Length - "model.encoder.".Length)..]).Order(StringComparer.Ordinal),
                     encoder.state_dict().Keys.Order(StringComparer.Ordinal));

        // A full Whisper checkpoint also holds a decoder whose layer names mirror the encoder's: it is skipped.
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("whisper_encoder"));
        var tensors = checkpoint.Tensors.ToDictionary(t => t.Name, t => checkpoint.Read(t.Name));
        tensors["model.decoder.layers.0.self_attn.k_proj.weight"] = zeros(48, 48);
        tensors["model.decoder.embed_tokens.weight"] = zeros(10, 48);
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
        foreach (var t in tensors.Values) t.Dispose();
        using var full = WhisperEncoder.FromPretrained(folder);
        using var logMel = FixturePaths.Expected("whisper_encoder", "log_mel");
        using var expected = FixturePaths.Expected("whisper_encoder", "last_hidden_state");
        using var _ = no_grad();
        TensorAssert.Close(full.Forward(logMel.unsqueeze(0)).LastHiddenState[0], expected, 1e-4, "from a full checkpoint");
    }

    [Fact]
    public void Whisper_rejects_inputs_that_do_not_fit()
    {
        using var encoder = WhisperEncoder.FromPretrained(FixturePaths.Of("whisper_encoder"));
        using var tooLong = zeros(1, 80, 102);
        var e = Assert.Throws<ArgumentException>(() => encoder.Forward(tooLong));
        Assert.Contains("102 frames, giving 51 positions; the encoder has 50", e.Message);
        using var wrongBins = zeros(1, 128, 100);
        Assert.Contains("[batch, 80, frames]", Assert.Throws<ArgumentException>(() => encoder.Forward(wrongBins)).Message);
        Assert.Equal(50, WhisperEncoder.OutputFrames(100));
        Assert.Equal(50, WhisperEncoder.OutputFrames(99));
    }

    [Fact]
    public void Ast_matches_the_reference_hidden_states_pooled_and_logits()
    {
        using var model = AstModel.FromPretrained(FixturePaths.Of("ast"));
        Assert.True(model.HasClassifier);
        using var input = FixturePaths.Expected("ast", "input_values");
        using var last = FixturePaths.Expected("ast", "last_hidden_state");
        using var pooled = FixturePaths.Expected("ast", "pooled");
        using var logits = FixturePaths.Expected("ast", "logits");
        using var _ = no_grad();
        var output = model.Forward(input.unsqueeze(0));
        TensorAssert.Close(output.Encoder.LastHiddenState[0], last, 1e-4, "AST last_hidden_state");
        TensorAssert.Close(output.Pooled[0], pooled, 1e-4, "AST pooled");
        TensorAssert.Close(output.Logits![0], logits, 1e-4, "AST logits");
        using var checkpoint = SafetensorsFile.Open(FixturePaths.Of("ast", "model.safetensors"));
        Assert.Equal(checkpoint.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), model.state_dict().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_bare_ast_backbone_checkpoint_loads_without_a_classifier()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("ast"));
        using (var file = SafetensorsFile.Open(FixturePaths.Of("ast", "model.safetensors")))
        {
            var tensors = file.Tensors.Where(t => t.Name.StartsWith("audio_spectrogram_transformer.", StringComparison.Ordinal))
                .ToDictionary(t => t.Name["audio_spectrogram_transformer.".Length..], t => file.Read(t.Name));
            SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
            foreach (var t in tensors.Values) t.Dispose();
        }
        using var model = AstModel.FromPretrained(folder);
        Assert.False(model.HasClassifier);
        using var input = FixturePaths.Expected("ast", "input_values");
        using var last = FixturePaths.Expected("ast", "last_hidden_state");
        using var _ = no_grad();
        var output = model.Forward(input.unsqueeze(0));
        Assert.Null(output.Logits);
        TensorAssert.Close(output.Encoder.LastHiddenState[0], last, 1e-4, "bare backbone");
        using var wrong = zeros(1, 99, 32);
        Assert.Contains("[batch, 100, 32]", Assert.Throws<ArgumentException>(() => model.Forward(wrong)).Message);
    }

    [Fact]
    public void Wrong_model_types_are_named()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("ast"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        config["model_type"] = "whisper";
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        Assert.Contains("is not an AST config", Assert.Throws<InvalidDataException>(() => AstModel.FromPretrained(folder)).Message);
        Assert.Contains("is not a Whisper config", Assert.Throws<InvalidDataException>(() => WhisperEncoder.FromPretrained(FixturePaths.Of("ast"))).Message);
    }
}
