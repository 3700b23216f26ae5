using System.Globalization;
using MMAdapt.Encoders.Ast;
using MMAdapt.Encoders.Audio;
using MMAdapt.Encoders.Images;
using MMAdapt.Encoders.Vision;
using MMAdapt.Encoders.Whisper;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders;

/// <summary>
/// A frozen encoder with its preprocessing, loaded from one Hugging Face folder: image or audio files in,
/// tensors with Hugging Face's names and shapes out (batch dimension included), so features can be checked
/// against Python. The <c>mmadapt encode</c> command is a thin wrapper.
/// </summary>
/// <remarks>Output keys: the preprocessed input (<c>pixel_values</c>, <c>input_features</c> or <c>input_values</c>),
/// <c>last_hidden_state</c> (final layer after the tower's final norm), <c>hidden_states_layer_N</c> when a layer is
/// asked for (HF <c>hidden_states[N]</c>, negative counting from the end), and <c>logits</c> for an AST classifier.</remarks>
public sealed class EncoderPipeline : IDisposable
{
    private readonly VisionTower? vision;
    private readonly ImagePreprocessor? imagePreprocessor;
    private readonly WhisperEncoder? whisper;
    private readonly WhisperFeatureExtractor? whisperFeatures;
    private readonly AstModel? ast;
    private readonly AstFeatureExtractor? astFeatures;

    private EncoderPipeline(string folder, EncoderKind kind, VisionTower? vision, ImagePreprocessor? imagePreprocessor,
        WhisperEncoder? whisper, WhisperFeatureExtractor? whisperFeatures, AstModel? ast, AstFeatureExtractor? astFeatures)
    {
        Folder = folder;
        Kind = kind;
        this.vision = vision;
        this.imagePreprocessor = imagePreprocessor;
        this.whisper = whisper;
        this.whisperFeatures = whisperFeatures;
        this.ast = ast;
        this.astFeatures = astFeatures;
    }

    /// <summary>The checkpoint folder.</summary>
    public string Folder { get; }

    /// <summary>Which tower.</summary>
    public EncoderKind Kind { get; }

    /// <summary>Loads the tower and the preprocessing its <c>preprocessor_config.json</c> describes.</summary>
    /// <param name="folder">A CLIP, SigLIP, LLaVA, Whisper or AST folder.</param>
    /// <param name="dtype">Weight dtype.</param>
    /// <param name="device">Weight device.</param>
    /// <param name="padToSquare">Images: LLaVA's pad mode (centre on a square of the mean colour) before the usual steps.</param>
    /// <param name="imagePreprocessor">Images: a preprocessor to use instead of the folder's (e.g. another rounding convention).</param>
    public static EncoderPipeline Load(string folder, ScalarType? dtype = null, Device? device = null, bool padToSquare = false,
        ImagePreprocessor? imagePreprocessor = null)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: encoder folder not found.");
        var kind = EncoderKinds.Detect(folder);
        var full = Path.GetFullPath(folder);
        return kind switch
        {
            EncoderKind.Vision => new(full, kind, VisionTower.FromPretrained(folder, dtype, device),
                imagePreprocessor ?? ImagePreprocessor.FromPretrained(folder, padToSquare), null, null, null, null),
            EncoderKind.Whisper => new(full, kind, null, null, WhisperEncoder.FromPretrained(folder, dtype, device), WhisperFeatureExtractor.FromPretrained(folder), null, null),
            _ => new(full, kind, null, null, null, null, AstModel.FromPretrained(folder, dtype, device), AstFeatureExtractor.FromPretrained(folder)),
        };
    }

    /// <summary>Preprocesses and encodes one file.</summary>
    /// <param name="file">An image (PNG, JPEG, BMP, GIF, WebP) or audio file (WAV; others through ffmpeg).</param>
    /// <param name="layer">Also return <c>hidden_states_layer_N</c> for this HF hidden_states index.</param>
    /// <param name="trimToAudio">Whisper: cut the output frames to the real audio length instead of the padded chunk.</param>
    /// <returns>Named tensors the caller owns.</returns>
    public IReadOnlyDictionary<string, Tensor> Encode(string file, int? layer = null, bool trimToAudio = false)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var result = new Dictionary<string, Tensor>();
        EncoderOutput output;
        switch (Kind)
        {
            case EncoderKind.Vision:
                var pixels = imagePreprocessor!.Preprocess(ImageDecoder.Decode(file)).unsqueeze(0); // [1, 3, H, W]
                result["pixel_values"] = pixels;
                output = vision!.Forward(pixels, outputHiddenStates: layer is not null);
                break;
            case EncoderKind.Whisper:
                var clip = AudioFileReader.Read(file, whisperFeatures!.Config.SamplingRate);
                var features = whisperFeatures.Extract(clip).unsqueeze(0);                        // [1, mels, frames]
                result["input_features"] = features;
                output = whisper!.Forward(features, outputHiddenStates: layer is not null);
                if (trimToAudio)
                {
                    int frames = WhisperEncoder.OutputFrames(whisperFeatures.ValidFrames(clip.Samples.Length));
                    output = output with { LastHiddenState = output.LastHiddenState.narrow(1, 0, frames) };
                }
                break;
            default:
                var audio = AudioFileReader.Read(file, astFeatures!.Config.SamplingRate);
                var values = astFeatures.Extract(audio).unsqueeze(0);                               // [1, frames, mels]
                result["input_values"] = values;
                var astOutput = ast!.Forward(values, outputHiddenStates: layer is not null);
                if (astOutput.Logits is not null)
                    result["logits"] = astOutput.Logits;
                output = astOutput.Encoder;
                break;
        }
        result["last_hidden_state"] = output.LastHiddenState;
        if (layer is int n)
        {
            var states = output.HiddenStates!;
            int index = n < 0 ? states.Count + n : n;
            if (index < 0 || index >= states.Count)
                throw new ArgumentOutOfRangeException(nameof(layer), $"layer {n} is outside [-{states.Count}, {states.Count - 1}] for this {states.Count - 1}-layer tower.");
            var state = states[index];
            if (trimToAudio && Kind == EncoderKind.Whisper)
                state = state.narrow(1, 0, output.LastHiddenState.shape[1]);
            result[$"hidden_states_layer_{n.ToString(CultureInfo.InvariantCulture)}"] = state;
        }
        return result.ToDictionary(kv => kv.Key, kv => kv.Value.contiguous().MoveToOuterDisposeScope());
    }

    /// <summary>Frees the weights.</summary>
    public void Dispose()
    {
        vision?.Dispose();
        whisper?.Dispose();
        whisperFeatures?.Dispose();
        ast?.Dispose();
    }
}
