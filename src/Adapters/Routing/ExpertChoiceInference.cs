namespace MMAdapt.Adapters.Routing;

/// <summary>What <see cref="ExpertChoice"/> does outside training (<see cref="RoutingInputs.Training"/> false).</summary>
public enum ExpertChoiceInference
{
    /// <summary>Route with <see cref="ExpertChoice.TokenChoiceFallback"/> (token choice): required in a
    /// causal decoder, where later tokens do not exist yet when a token is generated.</summary>
    TokenChoice,

    /// <summary>Keep expert choice (only for non-causal stacks that see every token at once: encoders,
    /// connectors).</summary>
    ExpertChoice,
}
