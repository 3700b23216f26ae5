using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Pill;

/// <summary>Reads per-token modality ids from a <see cref="ForwardContext"/> for modality-aware adapters.</summary>
internal static class TokenModalities
{
    /// <summary>The ids <c>[batch, tokens]</c> (int64): the context's, or all <see cref="Modality.Text"/> when it has none.</summary>
    /// <exception cref="ArgumentException">The context's ids are not <c>[batch, tokens]</c>; the message names <paramref name="owner"/>.</exception>
    public static Tensor Ids(ForwardContext? context, long batch, long tokens, Device device, string owner)
    {
        if (context?.TokenModality is not { } ids)
            return zeros([batch, tokens], ScalarType.Int64, device); // no ids: every token is text
        if (ids.dim() != 2 || ids.shape[0] != batch || ids.shape[1] != tokens)
            throw new ArgumentException($"{owner}: token modalities [{string.Join(", ", ids.shape)}] do not match the tokens " +
                                        $"[{batch}, {tokens}] (expected [batch, tokens]).");
        return ids.to(device);
    }
}
