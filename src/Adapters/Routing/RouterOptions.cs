using System.Text.Json.Serialization;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Options common to every token router (<see cref="TokenRouter"/>), whatever its <see cref="RoutingStrategy"/>.
/// Immutable; <see cref="Validate"/> once when the recipe is bound.
/// </summary>
public sealed record RouterOptions
{
    /// <summary>Softmax temperature: the strategy sees <c>logits / Temperature</c> (&gt; 0; 1 leaves them as they are).
    /// For <see cref="TopAny"/> it scales the cosine similarities (DynMoE's <c>logit_scale</c> is its inverse).</summary>
    [JsonPropertyName("temperature")] public double Temperature { get; init; } = 1.0;

    /// <summary>Switch Transformer input jitter: in training the router input is multiplied by noise uniform in
    /// <c>[1 − Jitter, 1 + Jitter]</c> (0 = off; Switch used 0.01). It changes the router's input only, not the experts'.</summary>
    [JsonPropertyName("jitter")] public double Jitter { get; init; }

    /// <summary>Router math in float32 whatever the input and weight dtype (default true, as Switch and ST-MoE
    /// recommend): logits, probabilities and gates come out float32; the mixture casts the gates back.</summary>
    [JsonPropertyName("fp32")] public bool Fp32 { get; init; } = true;

    /// <summary>Standard deviation of the normal initialisation of the router weight (0 = zeros). Default 0.02
    /// (Mixtral, ReMoE). Zeros make every expert tie at the start (top-k then picks the lowest indices for every
    /// token) and leave a <see cref="Relu"/> router without gradient, hence the small random default.</summary>
    [JsonPropertyName("init_std")] public double InitStd { get; init; } = 0.02;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentException($"router temperature must be a positive number, got {Temperature}.");
        if (!(Jitter >= 0 && Jitter < 1))
            throw new ArgumentException($"router jitter must be in [0, 1), got {Jitter}.");
        if (!(InitStd >= 0) || double.IsInfinity(InitStd))
            throw new ArgumentException($"router init_std must be >= 0, got {InitStd}.");
    }
}
