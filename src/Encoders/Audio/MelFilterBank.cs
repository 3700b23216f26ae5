using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Audio;

/// <summary>
/// Triangular mel filter banks, as the two front ends define them: Slaney (librosa / Hugging Face
/// <c>audio_utils.mel_filter_bank</c>, used by Whisper) and Kaldi (<c>torchaudio.compliance.kaldi.get_mel_banks</c>,
/// used by AST). Both are computed in float64 and returned as float64 <c>[mels, frequency bins]</c>;
/// cast where needed.
/// </summary>
public static class MelFilterBank
{
    /// <summary>
    /// Slaney-scale, Slaney-normalised mel filters: Hugging Face's <c>mel_filter_bank(num_frequency_bins,
    /// num_mel_filters, min_frequency, max_frequency, sampling_rate, norm="slaney", mel_scale="slaney")</c>,
    /// transposed to <c>[numMelFilters, numFrequencyBins]</c> (librosa's layout, and Whisper's
    /// <c>mel_filters</c>).
    /// </summary>
    /// <remarks>
    /// Slaney's mel scale is linear below 1 kHz (<c>mel = 3 f / 200</c>) and logarithmic above
    /// (<c>mel = 15 + ln(f / 1000) * 27 / ln 6.4</c>). Filter edges are <c>numMelFilters + 2</c> points evenly
    /// spaced in mel between the two frequencies; FFT bin <c>k</c> sits at <c>k * (sampleRate / 2) / (numFrequencyBins - 1)</c>
    /// Hz (with <c>sampleRate / 2</c> an integer division, as HF writes it); filter <c>m</c> rises from edge
    /// <c>m</c> to <c>m + 1</c> and falls to <c>m + 2</c> linearly in Hz, and is scaled by
    /// <c>2 / (edge[m + 2] - edge[m])</c> so that each has unit area.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1 (bins below 2), or the frequencies are not 0 &lt;= min &lt; max.</exception>
    public static Tensor Slaney(int numFrequencyBins, int numMelFilters, double minFrequency, double maxFrequency, int sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numFrequencyBins, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numMelFilters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        if (!(minFrequency >= 0 && minFrequency < maxFrequency))
            throw new ArgumentOutOfRangeException(nameof(maxFrequency), $"mel filter frequencies must satisfy 0 <= min < max, got {minFrequency} and {maxFrequency}.");

        using var scope = NewDisposeScope();
        var edgesMel = torch.linspace(SlaneyMel(minFrequency), SlaneyMel(maxFrequency), numMelFilters + 2, dtype: ScalarType.Float64);
        var edges = SlaneyHertz(edgesMel);                                                             // [mels + 2]
        var fftFrequencies = torch.linspace(0, sampleRate / 2, numFrequencyBins, dtype: ScalarType.Float64);  // [bins]
        var lower = edges[..^2].unsqueeze(1);                                                          // [mels, 1]
        var center = edges[1..^1].unsqueeze(1);
        var upper = edges[2..].unsqueeze(1);
        var f = fftFrequencies.unsqueeze(0);                                                           // [1, bins]
        var rising = (f - lower) / (center - lower);                                                   // [mels, bins]
        var falling = (upper - f) / (upper - center);
        var filters = torch.minimum(rising, falling).clamp_min(0);
        var areaNorm = 2.0 / (upper - lower);                                                          // [mels, 1]
        return (filters * areaNorm).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Kaldi mel banks: torchaudio's <c>get_mel_banks(num_bins, window_length_padded, sample_freq, low_freq,
    /// high_freq, ...)</c> without VTLN warping, with the zero column for the Nyquist bin appended, so the
    /// result is <c>[numBins, paddedWindowSize / 2 + 1]</c> and multiplies a one-sided power spectrum directly.
    /// </summary>
    /// <remarks>
    /// Kaldi's mel scale is <c>mel = 1127 ln(1 + f / 700)</c>. Bin <c>m</c> has mel edges
    /// <c>low + m d</c>, <c>low + (m + 1) d</c>, <c>low + (m + 2) d</c> with <c>d = (mel(high) - mel(low)) / (numBins + 1)</c>,
    /// and is triangular in mel: <c>max(0, min((mel - left) / (center - left), (right - mel) / (right - center)))</c>
    /// evaluated at the mel of FFT bin <c>k</c>, frequency <c>k * sampleRate / paddedWindowSize</c>, for
    /// <c>k &lt; paddedWindowSize / 2</c>. No area normalisation.
    /// </remarks>
    /// <param name="numBins">Mel bins, more than 3.</param>
    /// <param name="paddedWindowSize">FFT length (even).</param>
    /// <param name="sampleRate">Sample rate in Hz.</param>
    /// <param name="lowFrequency">Low edge in Hz, in [0, nyquist).</param>
    /// <param name="highFrequency">High edge in Hz; zero or negative counts back from the Nyquist frequency.</param>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 4 bins, an odd FFT length, or edges outside (0, nyquist].</exception>
    public static Tensor Kaldi(int numBins, int paddedWindowSize, double sampleRate, double lowFrequency, double highFrequency)
    {
        if (numBins <= 3)
            throw new ArgumentOutOfRangeException(nameof(numBins), numBins, "Kaldi mel banks need more than 3 bins.");
        if (paddedWindowSize <= 0 || paddedWindowSize % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(paddedWindowSize), paddedWindowSize, "the padded window size must be positive and even.");
        double nyquist = 0.5 * sampleRate;
        if (highFrequency <= 0)
            highFrequency += nyquist;
        if (!(lowFrequency >= 0 && lowFrequency < nyquist && highFrequency > 0 && highFrequency <= nyquist && lowFrequency < highFrequency))
            throw new ArgumentOutOfRangeException(nameof(lowFrequency),
                $"Kaldi mel banks need 0 <= low frequency < high frequency <= nyquist; got low {lowFrequency}, high {highFrequency}, nyquist {nyquist}.");

        using var scope = NewDisposeScope();
        double melLow = KaldiMel(lowFrequency), melHigh = KaldiMel(highFrequency);
        double delta = (melHigh - melLow) / (numBins + 1);
        var bin = torch.arange(numBins, dtype: ScalarType.Float64).unsqueeze(1);                       // [bins, 1]
        var left = melLow + bin * delta;
        var center = melLow + (bin + 1) * delta;
        var right = melLow + (bin + 2) * delta;
        double binWidth = sampleRate / paddedWindowSize;
        var frequencies = torch.arange(paddedWindowSize / 2, dtype: ScalarType.Float64) * binWidth;   // [fft / 2]
        var mel = (1127.0 * torch.log1p(frequencies / 700.0)).unsqueeze(0);                          // [1, fft / 2]
        var up = (mel - left) / (center - left);                                                       // [bins, fft / 2]
        var down = (right - mel) / (right - center);
        var banks = torch.minimum(up, down).clamp_min(0);
        return nn.functional.pad(banks, [0, 1]).MoveToOuterDisposeScope();                             // [bins, fft / 2 + 1]
    }

    /// <summary>Kaldi's (and HTK's natural-log) mel scale: <c>1127 ln(1 + f / 700)</c>.</summary>
    public static double KaldiMel(double hertz) => 1127.0 * Math.Log(1.0 + hertz / 700.0);

    private const double SlaneyMinLogHertz = 1000.0;
    private const double SlaneyMinLogMel = 15.0;
    private static readonly double SlaneyLogStep = 27.0 / Math.Log(6.4);

    /// <summary>Slaney's mel scale: <c>3 f / 200</c> below 1 kHz, <c>15 + ln(f / 1000) * 27 / ln 6.4</c> above.</summary>
    public static double SlaneyMel(double hertz) =>
        hertz >= SlaneyMinLogHertz
            ? SlaneyMinLogMel + Math.Log(hertz / SlaneyMinLogHertz) * SlaneyLogStep
            : 3.0 * hertz / 200.0;

    private static Tensor SlaneyHertz(Tensor mels)
    {
        var linear = mels * (200.0 / 3.0);
        var logarithmic = SlaneyMinLogHertz * torch.exp((mels - SlaneyMinLogMel) / SlaneyLogStep);
        return torch.where(mels >= SlaneyMinLogMel, logarithmic, linear);
    }
}
