using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// One pre-norm resampler block over the queries <c>h</c>:
/// <c>h += self_attn(self_attn_norm(h))</c> (when enabled), <c>h += cross_attn(cross_attn_norm(h), features)</c>,
/// <c>h += fc2(gelu(fc1(mlp_norm(h))))</c>. Keys: <c>self_attn.*</c>, <c>self_attn_norm</c>, <c>cross_attn.*</c>,
/// <c>cross_attn_norm</c>, <c>fc1</c>, <c>fc2</c>, <c>mlp_norm</c>.
/// </summary>
internal sealed class ResamplerLayer : nn.Module
{
    /// <summary>Layer-norm epsilon of every norm of the resampler.</summary>
    public const double NormEps = 1e-5;

#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly LayerNorm? self_attn_norm;
    private readonly ResamplerAttention? self_attn;
    private readonly LayerNorm cross_attn_norm;
    private readonly ResamplerAttention cross_attn;
    private readonly LayerNorm mlp_norm;
    private readonly AdaptableLinear fc1, fc2;
#pragma warning restore IDE1006

    public ResamplerLayer(long hidden, int heads, bool selfAttention, int mlpRatio, ScalarType dtype, Device? device, Generator? generator)
        : base(nameof(ResamplerLayer))
    {
        if (selfAttention)
        {
            self_attn_norm = nn.LayerNorm(hidden, NormEps, device: device, dtype: dtype);
            self_attn = new ResamplerAttention(hidden, heads, dtype, device, generator);
        }
        cross_attn_norm = nn.LayerNorm(hidden, NormEps, device: device, dtype: dtype);
        cross_attn = new ResamplerAttention(hidden, heads, dtype, device, generator);
        mlp_norm = nn.LayerNorm(hidden, NormEps, device: device, dtype: dtype);
        fc1 = LinearStack.Linear(hidden, hidden * mlpRatio, dtype, device, generator);
        fc2 = LinearStack.Linear(hidden * mlpRatio, hidden, dtype, device, generator);
        RegisterComponents();
    }

    /// <summary>Runs the block.</summary>
    /// <param name="h">Queries <c>[batch, queries, hidden]</c>.</param>
    /// <param name="features">Normalised, projected features <c>[batch, tokens, hidden]</c>.</param>
    /// <param name="keyMask">Bool <c>[batch, 1, 1, tokens]</c> or null.</param>
    /// <param name="queryContext">Context for projections over the queries.</param>
    /// <param name="featureContext">Context for projections over the features.</param>
    /// <returns><c>[batch, queries, hidden]</c>.</returns>
    public Tensor Forward(Tensor h, Tensor features, Tensor? keyMask, ForwardContext? queryContext, ForwardContext? featureContext)
    {
        using var scope = NewDisposeScope();
        if (self_attn is not null)
        {
            var normed = self_attn_norm!.call(h);
            h = h + self_attn.Forward(normed, normed, null, queryContext, queryContext);
        }
        h = h + cross_attn.Forward(cross_attn_norm.call(h), features, keyMask, queryContext, featureContext);
        var inner = nn.functional.gelu(fc1.Forward(mlp_norm.call(h), queryContext));
        h = h + fc2.Forward(inner, queryContext);
        return h.MoveToOuterDisposeScope();
    }
}
