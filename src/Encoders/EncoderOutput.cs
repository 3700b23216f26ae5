using static TorchSharp.torch;

namespace MMAdapt.Encoders;

/// <summary>What an encoder tower returns.</summary>
/// <param name="LastHiddenState"><c>[batch, tokens, hidden]</c>: the last layer's output after the tower's final norm.</param>
/// <param name="HiddenStates">When asked for, Hugging Face's <c>hidden_states</c>: the input to the first layer,
/// then each layer's output (no final norm), so <c>HiddenStates[^2]</c> is the second-to-last layer's output.</param>
public sealed record EncoderOutput(Tensor LastHiddenState, IReadOnlyList<Tensor>? HiddenStates);
