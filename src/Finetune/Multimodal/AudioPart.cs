using MMAdapt.Core.Modules;
using MMAdapt.Encoders;
using MMAdapt.Encoders.Ast;
using MMAdapt.Encoders.Audio;
using MMAdapt.Encoders.Whisper;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>
/// The audio side of a multimodal model: reading and resampling, the front end (Whisper log-mel or AST fbank), and the
/// frozen tower. Whisper's output can be trimmed to the real length of each clip (the padded tail dropped).
/// </summary>
public sealed class AudioPart : IDisposable
{
    private readonly WhisperEncoder? whisper;
    private readonly WhisperFeatureExtractor? whisperFeatures;
    private readonly AstModel? ast;
    private readonly AstFeatureExtractor? astFeatures;

    private AudioPart(WhisperEncoder? whisper, WhisperFeatureExtractor? whisperFeatures, AstModel? ast, AstFeatureExtractor? astFeatures, bool trim)
    {
        this.whisper = whisper;
        this.whisperFeatures = whisperFeatures;
        this.ast = ast;
        this.astFeatures = astFeatures;
        Trim = trim && whisper is not null;
    }

    /// <summary>Loads a Whisper or AST folder.</summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="trim">Whisper: hand on only the frames of the real audio, not the padded chunk.</param>
    /// <param name="dtype">Weight dtype.</param>
    /// <param name="device">Weight device.</param>
    /// <param name="loadWeights">False: build the shapes from config.json only (e.g. on the meta device, to validate a recipe).</param>
    public static AudioPart Load(string folder, bool trim = true, ScalarType? dtype = null, Device? device = null, bool loadWeights = true)
    {
        var config = Path.Combine(folder, "config.json");
        return EncoderKinds.Detect(folder) switch
        {
            EncoderKind.Whisper => new AudioPart(
                loadWeights ? WhisperEncoder.FromPretrained(folder, dtype, device) : new WhisperEncoder(WhisperEncoderConfig.Load(config), dtype ?? ScalarType.Float32, device),
                WhisperFeatureExtractor.FromPretrained(folder), null, null, trim),
            EncoderKind.Ast => new AudioPart(null, null,
                loadWeights ? AstModel.FromPretrained(folder, dtype, device) : new AstModel(AstConfig.Load(config), AstConfig.Load(config).Id2Label?.Count ?? 0, dtype ?? ScalarType.Float32, device),
                AstFeatureExtractor.FromPretrained(folder), false),
            var kind => throw new InvalidDataException($"{folder}: a {kind} tower is not an audio encoder; use a Whisper or AST folder."),
        };
    }

    /// <summary>The tower as a module (for adapters and trainability).</summary>
    public nn.Module Tower => (nn.Module?)whisper ?? ast!;

    /// <summary>Output width.</summary>
    public int HiddenSize => whisper?.HiddenSize ?? ast!.HiddenSize;

    /// <summary>True when Whisper outputs are trimmed to the real audio.</summary>
    public bool Trim { get; }

    /// <summary>The sample rate audio is resampled to.</summary>
    public int SampleRate => whisperFeatures?.Config.SamplingRate ?? astFeatures!.Config.SamplingRate;

    /// <summary>Reads, resamples and turns one audio file into the tower's input (thread-safe; no tensors outlive the call).</summary>
    public PreparedMedia Prepare(string file)
    {
        var clip = AudioFileReader.Read(file, SampleRate);
        using var scope = NewDisposeScope();
        if (whisperFeatures is not null)
        {
            var features = whisperFeatures.Extract(clip).contiguous();                    // [mels, frames]
            int frames = WhisperEncoder.OutputFrames((int)features.shape[1]);
            if (Trim)
                frames = Math.Max(1, WhisperEncoder.OutputFrames(whisperFeatures.ValidFrames(clip.Samples.Length)));
            return new PreparedMedia(Modality.Audio, file, features.data<float>().ToArray(), features.shape, frames);
        }
        var values = astFeatures!.Extract(clip).contiguous();                               // [frames, mels]
        return new PreparedMedia(Modality.Audio, file, values.data<float>().ToArray(), values.shape, ast!.Config.Tokens);
    }

    /// <summary>Features of a batch of prepared clips (same input shape): <c>[n, tokens, hidden]</c>, untrimmed.</summary>
    public Tensor Encode(Tensor inputs, ForwardContext? context) =>
        whisper is not null ? whisper.Forward(inputs, false, context).LastHiddenState : ast!.Forward(inputs, false, context).Encoder.LastHiddenState;

    /// <summary>Frees the tower.</summary>
    public void Dispose()
    {
        whisper?.Dispose();
        whisperFeatures?.Dispose();
        ast?.Dispose();
    }
}
