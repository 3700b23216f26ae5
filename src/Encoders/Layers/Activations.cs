using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Layers;

/// <summary>Hugging Face <c>hidden_act</c> / <c>activation_function</c> names mapped to functions.</summary>
public static class Activations
{
    // Kept alive for good (see MMAdapt.Core.Modules.LiveScalars).
    private static readonly Scalar QuickGeluSlope = 1.702.ToScalar();

    /// <summary>The names understood.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gelu", "quick_gelu", "gelu_pytorch_tanh", "gelu_new", "gelu_fast", "relu", "silu", "swish"];

    /// <summary>The activation called <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">Unknown name; the message names the source and lists the known ones.</exception>
    public static Func<Tensor, Tensor> Get(string name, string source) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),                                        // exact (erf)
        "quick_gelu" => x => x * torch.sigmoid(x.mul(QuickGeluSlope)),                  // CLIP's approximation
        "gelu_pytorch_tanh" or "gelu_new" or "gelu_fast" => x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        _ => throw new InvalidDataException($"{source}: activation '{name}' is not supported; supported: {string.Join(", ", Names)}."),
    };
}
