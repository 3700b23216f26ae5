using MMAdapt.Adapters.Common;
using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// LLaVA's projector shape, shared by the MLP, linear and downsample connectors: <c>linear_1</c> maps the input width to
/// the output width, each further <c>linear_j</c> maps output to output, with the activation between them
/// (<c>mlp2x_gelu</c> = Linear–GELU–Linear). The layers are registered on the owning connector as <c>linear_1</c> …
/// <c>linear_N</c>, Hugging Face LLaVA's <c>multi_modal_projector</c> names.
/// </summary>
internal static class LinearStack
{
    /// <summary>One projection with bias, initialised as <c>torch.nn.Linear</c> (Kaiming-uniform weight, uniform bias).</summary>
    public static AdaptableLinear Linear(long inFeatures, long outFeatures, ScalarType dtype, Device? device, Generator? generator)
    {
        var linear = new AdaptableLinear(inFeatures, outFeatures, hasBias: true, dtype, device);
        linear.ResetParameters(generator);
        return linear;
    }

    /// <summary>Creates <c>linear_1</c> … <c>linear_depth</c> and registers them on <paramref name="owner"/>.</summary>
    public static AdaptableLinear[] Create(nn.Module owner, long inFeatures, long outFeatures, int depth,
        ScalarType dtype, Device? device, Generator? generator)
    {
        var layers = new AdaptableLinear[depth];
        for (int j = 0; j < depth; j++)
        {
            layers[j] = Linear(j == 0 ? inFeatures : outFeatures, outFeatures, dtype, device, generator);
            owner.register_module($"linear_{j + 1}", layers[j]);
        }
        return layers;
    }

    /// <summary><c>linear_N(act(… act(linear_1(x))))</c>: <c>[..., in]</c> → <c>[..., out]</c>.</summary>
    public static Tensor Apply(IReadOnlyList<AdaptableLinear> layers, AdapterActivation activation, Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var h = layers[0].Forward(x, context);
        for (int j = 1; j < layers.Count; j++)
            h = layers[j].Forward(AdapterActivations.Apply(activation, h), context);
        return h.MoveToOuterDisposeScope();
    }
}
