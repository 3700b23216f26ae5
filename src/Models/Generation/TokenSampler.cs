using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Models.Generation;

/// <summary>Picks the next token from logits: greedy, or temperature + top-p sampling with a seeded generator.</summary>
public sealed class TokenSampler : IDisposable
{
    private readonly GenerationOptions options;
    private readonly Generator? generator;

    /// <summary>Creates a sampler; sampling draws from a generator seeded with <see cref="GenerationOptions.Seed"/>.</summary>
    public TokenSampler(GenerationOptions options)
    {
        options.Validate();
        this.options = options;
        if (!options.Greedy)
            generator = new Generator((ulong)options.Seed);
    }

    /// <summary>Next tokens <c>[batch]</c> (int64) from last-position logits <c>[batch, vocab]</c>.</summary>
    public Tensor Next(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (options.Greedy)
            return logits.argmax(-1).MoveToOuterDisposeScope(); // first maximum on ties, as torch.argmax
        var scaled = logits.to(ScalarType.Float32) / options.Temperature;
        if (options.TopP < 1.0)
            scaled = KeepNucleus(scaled, options.TopP);
        var probabilities = scaled.softmax(-1);
        return probabilities.multinomial(1, generator: generator).squeeze(-1).MoveToOuterDisposeScope();
    }

    // Masks tokens outside the smallest most-likely set whose probability reaches topP (at least one kept).
    private static Tensor KeepNucleus(Tensor logits, double topP)
    {
        var (sorted, order) = logits.sort(-1, descending: true);
        var cumulative = sorted.softmax(-1).cumsum(-1);
        var remove = (cumulative - sorted.softmax(-1)) >= topP; // mass before this token already reaches topP
        var removeInVocabOrder = zeros_like(remove).scatter(-1, order, remove);
        return logits.masked_fill(removeInVocabOrder, float.NegativeInfinity);
    }

    /// <summary>Frees the generator.</summary>
    public void Dispose() => generator?.Dispose();
}
