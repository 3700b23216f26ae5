using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Whisper;

/// <summary>
/// The frozen Whisper audio encoder (Radford et al., 2022): two GELU convolutions over the log-mel
/// spectrogram (the second with stride 2, halving the frames), the stored sinusoidal positions, pre-norm
/// transformer layers and a final LayerNorm. Keys as in HF's <c>WhisperEncoder</c>: <c>conv1</c>, <c>conv2</c>,
/// <c>embed_positions.weight</c>, <c>layers.{i}</c>, <c>layer_norm</c> (under <c>model.encoder.</c> in a full checkpoint).
/// </summary>
public sealed class WhisperEncoder : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Conv1d conv1, conv2;
    private readonly Embedding embed_positions;
    private readonly ModuleList<WhisperEncoderLayer> layers = new();
    private readonly LayerNorm layer_norm;
#pragma warning restore IDE1006

    /// <summary>Creates an encoder with uninitialised weights.</summary>
    public WhisperEncoder(WhisperEncoderConfig config, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(WhisperEncoder))
    {
        Config = config;
        conv1 = nn.Conv1d(config.NumMelBins, config.DModel, 3, padding: 1, device: device, dtype: dtype);
        conv2 = nn.Conv1d(config.DModel, config.DModel, 3, stride: 2, padding: 1, device: device, dtype: dtype);
        embed_positions = nn.Embedding(config.MaxSourcePositions, config.DModel, device: device, dtype: dtype);
        for (int i = 0; i < config.EncoderLayers; i++)
            layers.Add(new WhisperEncoderLayer(config, dtype, device));
        layer_norm = nn.LayerNorm(config.DModel, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>The configuration.</summary>
    public WhisperEncoderConfig Config { get; }

    /// <summary>Output width.</summary>
    public int HiddenSize => Config.DModel;

    /// <summary>Output frames for <paramref name="inputFrames"/> mel frames: the stride-2 convolution gives ceil(n / 2).</summary>
    public static int OutputFrames(int inputFrames) => (inputFrames + 1) / 2;

    /// <summary>Loads from a Whisper checkpoint folder (encoder-only or full: the decoder is skipped).</summary>
    /// <param name="folder">Folder with config.json (model_type whisper) and safetensors.</param>
    /// <param name="dtype">Weight dtype.</param>
    /// <param name="device">Weight device.</param>
    /// <param name="prefix">The prefix before <c>conv1.weight</c> (e.g. <c>model.encoder.</c>); null finds it.</param>
    public static WhisperEncoder FromPretrained(string folder, ScalarType? dtype = null, Device? device = null, string? prefix = null)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: Whisper folder not found.");
        var config = WhisperEncoderConfig.Load(Path.Combine(folder, "config.json"));
        var encoder = new WhisperEncoder(config, dtype ?? ScalarType.Float32, device);
        try
        {
            using var checkpoint = CheckpointReader.Open(folder);
            var found = CheckpointPrefix.Find(checkpoint, "conv1.weight", prefix, "Whisper encoder");
            StateDictLoader.Load(encoder, checkpoint, CheckpointPrefix.KeyMap(found, ["conv1", "conv2", "embed_positions", "layers", "layer_norm"]));
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        return encoder;
    }

    /// <summary>Encodes log-mel features.</summary>
    /// <param name="inputFeatures"><c>[batch, mel bins, frames]</c>, frames at most 2 × max_source_positions.</param>
    /// <param name="outputHiddenStates">Also return HF's hidden_states.</param>
    /// <param name="context">Forward context (adapters).</param>
    /// <returns>Last hidden state after the final LayerNorm, <c>[batch, ceil(frames / 2), d_model]</c>.</returns>
    public EncoderOutput Forward(Tensor inputFeatures, bool outputHiddenStates = false, ForwardContext? context = null)
    {
        if (inputFeatures.dim() != 3 || inputFeatures.shape[1] != Config.NumMelBins)
            throw new ArgumentException($"input_features must be [batch, {Config.NumMelBins}, frames]; got [{string.Join(", ", inputFeatures.shape)}].");
        long frames = OutputFrames((int)inputFeatures.shape[2]);
        if (frames > Config.MaxSourcePositions)
            throw new ArgumentException($"input_features has {inputFeatures.shape[2]} frames, giving {frames} positions; the encoder has {Config.MaxSourcePositions} " +
                                        $"(at most {2 * Config.MaxSourcePositions} mel frames: pad or trim to the extractor's chunk length).");
        var states = outputHiddenStates ? new List<Tensor>() : null;
        using var scope = NewDisposeScope();
        var x = nn.functional.gelu(conv1.call(inputFeatures.to(conv1.weight!.dtype)));
        x = nn.functional.gelu(conv2.call(x)).permute(0, 2, 1);                     // [batch, frames, d_model]
        x = x + embed_positions.weight!.narrow(0, 0, frames).unsqueeze(0);
        states?.Add(x);
        foreach (var layer in layers)
        {
            x = layer.Forward(x, context);
            states?.Add(x);
        }
        var last = layer_norm.call(x).MoveToOuterDisposeScope();
        states?.ForEach(s => s.MoveToOuterDisposeScope());
        return new EncoderOutput(last, states);
    }
}
