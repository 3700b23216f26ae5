using MMAdapt.Adapters.Lora;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Mixtures;

/// <summary>
/// Sparse upcycling of adapters: a mixture of LoRA experts starts from a dense LoRA trained earlier on the same
/// projections (train the LoRA in one stage, then let experts specialise from it in the next). Every projection that
/// holds the mixture must hold the LoRA, with the same rank. The LoRA is then silenced (its B zeroed; its weights stay,
/// inert, in checkpoints) so the model's output is unchanged at the switch, unless it is asked to stay.
/// </summary>
public static class MixtureUpcycling
{
    /// <summary>Upcycles mixture <paramref name="mixtureName"/> from LoRA <paramref name="loraName"/> under <paramref name="root"/>.</summary>
    /// <param name="root">The component (the LLM, a tower, a connector).</param>
    /// <param name="mixtureName">The mixture's adapter name.</param>
    /// <param name="loraName">The dense LoRA's adapter name.</param>
    /// <param name="noiseStd">Noise on each expert's A.</param>
    /// <param name="keepSource">Leave the LoRA active (it then adds to the mixture).</param>
    /// <param name="seed">The noise's seed.</param>
    /// <returns>How many projections were upcycled.</returns>
    /// <exception cref="ArgumentException">No projection holds the mixture, one lacks the LoRA, or shapes differ (named).</exception>
    public static int Upcycle(nn.Module root, string mixtureName, string loraName, double noiseStd = 0, bool keepSource = false, long seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        int count = 0;
        foreach (var (name, _, set) in AdapterScopes.Projections(root))
        {
            if (!set.Contains(mixtureName))
                continue;
            if (set[mixtureName] is not LoraMixture mixture)
                throw new ArgumentException($"{name}: adapter '{mixtureName}' is a {set[mixtureName].GetType().Name}, not a mixture of LoRA experts.");
            if (!set.Contains(loraName) || set[loraName] is not LoraLinear lora)
                throw new ArgumentException($"{name}: holds mixture '{mixtureName}' but no LoRA '{loraName}' to upcycle it from; " +
                                            "target the same projections with both.");
            if (lora.Magnitude is not null)
                throw new ArgumentException($"{name}: LoRA '{loraName}' uses DoRA, whose magnitude vector a mixture has no place for.");
            mixture.UpcycleExperts(lora.A, lora.B, lora.Scale, noiseStd, generator);
            if (!keepSource)
                using (no_grad())
                    lora.B.zero_();
            count++;
        }
        if (count == 0)
            throw new ArgumentException($"no projection holds a mixture named '{mixtureName}'.");
        return count;
    }
}
