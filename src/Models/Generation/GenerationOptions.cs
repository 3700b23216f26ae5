namespace MMAdapt.Models.Generation;

/// <summary>How <see cref="TextGenerator"/> picks tokens and when it stops.</summary>
/// <remarks>Greedy decoding when <see cref="Temperature"/> is 0 (the default); otherwise logits are
/// divided by the temperature, cut to the smallest set of most likely tokens whose probability reaches
/// <see cref="TopP"/> (nucleus sampling, Holtzman et al., 2019), and sampled with a generator seeded by
/// <see cref="Seed"/>, so a seed always gives the same tokens.</remarks>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate per sequence (a stop token, when produced, is included).</summary>
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>0 for greedy decoding; otherwise the softmax temperature.</summary>
    public double Temperature { get; init; }

    /// <summary>Nucleus cut-off in (0, 1]; 1 keeps every token.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Seed of the sampling generator (ignored when greedy).</summary>
    public long Seed { get; init; }

    /// <summary>Tokens that end a sequence (from generation_config.json's eos_token_id, usually).</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Id used for left padding and for finished sequences (any id works: it is masked).</summary>
    public int PadTokenId { get; init; }

    /// <summary>Use the KV cache (true) or recompute the whole sequence every step (slow; for checking).</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>True when decoding is greedy.</summary>
    public bool Greedy => Temperature == 0;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (MaxNewTokens < 0)
            throw new ArgumentException($"max new tokens must be >= 0, got {MaxNewTokens}.");
        if (Temperature < 0 || double.IsNaN(Temperature))
            throw new ArgumentException($"temperature must be >= 0, got {Temperature}.");
        if (!(TopP > 0 && TopP <= 1))
            throw new ArgumentException($"top-p must be in (0, 1], got {TopP}.");
    }
}
