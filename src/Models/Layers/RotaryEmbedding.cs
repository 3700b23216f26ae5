using MMAdapt.Core.Modules;
using MMAdapt.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Models.Layers;

/// <summary>
/// Rotary position embedding (RoPE; Su et al., 2021) in the "rotate half" layout of Hugging Face's
/// Llama: the head is split in two halves that rotate together, with inverse frequencies
/// <c>θ^(-2i/d)</c>, optionally rescaled (<see cref="RopeScaling"/>: linear, llama3).
/// </summary>
/// <remarks>The inverse frequencies are a non-persistent buffer (<c>inv_freq</c>), as in Hugging Face,
/// so they never appear in checkpoints.</remarks>
public sealed class RotaryEmbedding : nn.Module
{
    private readonly Tensor inv_freq;

    /// <summary>Builds the frequency table for <paramref name="headDim"/>-wide heads.</summary>
    public RotaryEmbedding(int headDim, double theta, RopeScaling? scaling, Device? device = null) : base(nameof(RotaryEmbedding))
    {
        inv_freq = InverseFrequencies(headDim, theta, scaling).to(device ?? CPU);
        register_buffer("inv_freq", inv_freq, persistent: false);
    }

    /// <summary>The inverse frequencies <c>[headDim / 2]</c> (float32) after scaling.</summary>
    public static Tensor InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        using var scope = NewDisposeScope();
        // Computed in float64 then rounded, so the table does not depend on float32 pow rounding.
        var exponents = arange(0, headDim, 2, dtype: ScalarType.Float64) / headDim;
        var inv = 1.0 / pow(theta, exponents);
        switch (scaling?.Type)
        {
            case null or "default":
                break;
            case "linear":
                inv = inv / scaling.Factor;
                break;
            case "llama3":
                inv = Llama3Scaled(inv, scaling);
                break;
            default:
                throw new NotSupportedException($"rope_scaling type '{scaling.Type}'");
        }
        return inv.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    // Llama 3.1: wavelengths longer than original_context/low_freq_factor are slowed by `factor`,
    // shorter than original_context/high_freq_factor kept, and the band between blended linearly.
    private static Tensor Llama3Scaled(Tensor inv, RopeScaling s)
    {
        double context = s.OriginalMaxPositionEmbeddings;
        double lowWavelength = context / s.LowFreqFactor, highWavelength = context / s.HighFreqFactor;
        var wavelength = 2 * Math.PI / inv;
        var scaled = where(wavelength > lowWavelength, inv / s.Factor, inv);
        var smooth = (context / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        var blended = (1 - smooth) * scaled / s.Factor + smooth * scaled;
        var medium = (wavelength >= highWavelength).logical_and(wavelength <= lowWavelength);
        return where(medium, blended, scaled);
    }

    /// <summary>Cosine and sine tables for the given positions.</summary>
    /// <param name="positionIds"><c>[batch, tokens]</c> int64.</param>
    /// <param name="dtype">The dtype of the queries and keys they will rotate.</param>
    /// <returns>cos, sin: <c>[batch, tokens, headDim]</c>.</returns>
    public (Tensor Cos, Tensor Sin) Forward(Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var freqs = positionIds.to(ScalarType.Float32).unsqueeze(-1) * inv_freq.to(positionIds.device); // [batch, tokens, headDim/2]
        var angles = cat([freqs, freqs], -1);                                                          // [batch, tokens, headDim]
        var cos = angles.cos().to(dtype).MoveToOuterDisposeScope();
        var sin = angles.sin().to(dtype).MoveToOuterDisposeScope();
        return (cos, sin);
    }

    /// <summary>Rotates queries or keys <c>[batch, heads, tokens, headDim]</c> by cos/sin <c>[batch, tokens, headDim]</c>.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1); // rotate_half
        return (x * cos.unsqueeze(1)).add(rotated * sin.unsqueeze(1), LiveScalars.One).MoveToOuterDisposeScope();   // live alpha (LiveScalars)
    }
}
