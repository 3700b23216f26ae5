using MMAdapt.Core.Display;
using MMAdapt.Finetune.Training;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>Pictures of what a tower is fed, for a notebook: spectrogram heatmaps of audio front-end features.</summary>
public static class FeaturePlots
{
    /// <summary>
    /// A heatmap of one clip's features, frequency bins up the y axis and frames along the x axis, with a colour bar of the
    /// values. Whisper's log-mel (<c>[mels, frames]</c>) goes in as it is; AST's fbank (<c>[frames, mels]</c>) goes in
    /// transposed (<c>fbank.T</c>).
    /// </summary>
    /// <param name="binsByFrames">A 2-D tensor <c>[bins, frames]</c> (any dtype and device; it is copied, not kept).</param>
    /// <param name="title">The plot title.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <returns>The PNG (shown as an image in a notebook).</returns>
    /// <exception cref="ArgumentException">The tensor is not 2-D or is empty.</exception>
    public static PngImage Spectrogram(Tensor binsByFrames, string title, int width = 800, int height = 320)
    {
        ArgumentNullException.ThrowIfNull(binsByFrames);
        if (binsByFrames.dim() != 2 || binsByFrames.numel() == 0)
            throw new ArgumentException($"a spectrogram needs a non-empty 2-D tensor [bins, frames], got shape [{string.Join(", ", binsByFrames.shape)}].", nameof(binsByFrames));
        int bins = (int)binsByFrames.shape[0], frames = (int)binsByFrames.shape[1];
        double[] flat;
        using (var values = binsByFrames.detach().to(ScalarType.Float64).cpu().contiguous())
            flat = values.data<double>().ToArray();
        var grid = new double[bins, frames];
        for (int b = 0; b < bins; b++)
            for (int f = 0; f < frames; f++)
                grid[b, f] = flat[b * frames + f];

        // Bin 0 (lowest frequency) at the bottom.
        return TrainingPlots.Heatmap(grid, title, $"frame (0..{frames - 1})", $"frequency bin (0..{bins - 1})", width, height,
            new ScottPlot.Colormaps.Viridis());
    }
}
