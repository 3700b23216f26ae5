using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// Multi-head attention from queries to a source (the queries themselves for self-attention, the features for
/// cross-attention): <c>o_proj(softmax(q·kᵀ/√d_head + mask)·v)</c> per head. Keys: <c>q_proj</c>, <c>k_proj</c>,
/// <c>v_proj</c>, <c>o_proj</c>, each <c>[hidden, hidden]</c> with bias.
/// </summary>
internal sealed class ResamplerAttention : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AdaptableLinear q_proj, k_proj, v_proj, o_proj;
#pragma warning restore IDE1006
    private readonly int heads;

    public ResamplerAttention(long hidden, int heads, ScalarType dtype, Device? device, Generator? generator) : base(nameof(ResamplerAttention))
    {
        this.heads = heads;
        q_proj = LinearStack.Linear(hidden, hidden, dtype, device, generator);
        k_proj = LinearStack.Linear(hidden, hidden, dtype, device, generator);
        v_proj = LinearStack.Linear(hidden, hidden, dtype, device, generator);
        o_proj = LinearStack.Linear(hidden, hidden, dtype, device, generator);
        RegisterComponents();
    }

    /// <summary>Attends.</summary>
    /// <param name="query"><c>[batch, queries, hidden]</c>.</param>
    /// <param name="source"><c>[batch, tokens, hidden]</c>.</param>
    /// <param name="keyMask">Bool <c>[batch, 1, 1, tokens]</c> (true = attend; every row has a true entry), or null.</param>
    /// <param name="queryContext">Context for the query-side projections.</param>
    /// <param name="sourceContext">Context for the key and value projections.</param>
    /// <returns><c>[batch, queries, hidden]</c>.</returns>
    public Tensor Forward(Tensor query, Tensor source, Tensor? keyMask, ForwardContext? queryContext, ForwardContext? sourceContext)
    {
        using var scope = NewDisposeScope();
        long batch = query.shape[0], n = query.shape[1], t = source.shape[1], width = q_proj.OutFeatures, headDim = width / heads;
        var q = q_proj.Forward(query, queryContext).view(batch, n, heads, headDim).transpose(1, 2);    // [batch, heads, queries, headDim]
        var k = k_proj.Forward(source, sourceContext).view(batch, t, heads, headDim).transpose(1, 2);  // [batch, heads, tokens, headDim]
        var v = v_proj.Forward(source, sourceContext).view(batch, t, heads, headDim).transpose(1, 2);  // [batch, heads, tokens, headDim]
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, keyMask);                   // [batch, heads, queries, headDim]
        var merged = attended.transpose(1, 2).reshape(batch, n, width);                                // [batch, queries, hidden]
        return o_proj.Forward(merged, queryContext).MoveToOuterDisposeScope();
    }
}
