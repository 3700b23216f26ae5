using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Models.Generation;

/// <summary>
/// Batched autoregressive generation for any <see cref="ICausalLanguageModel"/>: prompts of different
/// lengths are left-padded and masked, prefilled in one pass, then decoded one token per step with a KV
/// cache. A sequence stops at a stop token or after <see cref="GenerationOptions.MaxNewTokens"/>.
/// </summary>
/// <remarks>Left padding plus mask-derived positions make each sequence's result independent of its
/// batch neighbours (up to floating-point rounding of the batched matmuls).</remarks>
public static class TextGenerator
{
    /// <summary>Generates continuations of <paramref name="prompts"/> (token ids, no padding).</summary>
    /// <returns>The new token ids of each prompt, in order, including the stop token that ended it.</returns>
    /// <exception cref="ArgumentException">No prompts, an empty prompt, or bad options.</exception>
    public static IReadOnlyList<IReadOnlyList<int>> Generate(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options)
    {
        options.Validate();
        if (prompts.Count == 0)
            throw new ArgumentException("Generation needs at least one prompt.");
        for (int i = 0; i < prompts.Count; i++)
            if (prompts[i].Count == 0)
                throw new ArgumentException($"Prompt {i} is empty; give at least one token (e.g. BOS).");

        int batch = prompts.Count, longest = prompts.Max(p => p.Count);
        var outputs = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var finished = new bool[batch];
        if (options.MaxNewTokens == 0)
            return outputs;
        var stops = options.StopTokenIds.ToHashSet();

        var ids = new long[batch, longest];
        var mask = new long[batch, longest];
        for (int b = 0; b < batch; b++)
        {
            int offset = longest - prompts[b].Count; // left padding
            for (int t = 0; t < longest; t++)
            {
                ids[b, t] = t < offset ? options.PadTokenId : prompts[b][t - offset];
                mask[b, t] = t < offset ? 0 : 1;
            }
        }

        using var _ = no_grad();
        using var sampler = new TokenSampler(options);
        using var cache = options.UseCache ? model.CreateCache(longest + options.MaxNewTokens) : null;
        var allIds = tensor(ids, device: model.Device).DetachFromDisposeScope();
        var allMask = tensor(mask, device: model.Device).DetachFromDisposeScope();
        var stepIds = allIds;
        try
        {
            for (int step = 0; step < options.MaxNewTokens; step++)
            {
                using var scope = NewDisposeScope();
                var input = new DecoderInput
                {
                    InputIds = options.UseCache ? stepIds : allIds,
                    AttentionMask = allMask,
                    Cache = cache,
                    LogitsToKeep = 1,
                };
                var logits = model.Forward(input).Logits.select(1, -1); // [batch, vocab]
                var next = sampler.Next(logits).to(ScalarType.Int64).cpu();
                var chosen = next.data<long>().ToArray();
                for (int b = 0; b < batch; b++)
                {
                    if (finished[b])
                    {
                        chosen[b] = options.PadTokenId;
                        continue;
                    }
                    outputs[b].Add((int)chosen[b]);
                    if (stops.Contains((int)chosen[b]))
                        finished[b] = true;
                }
                if (finished.All(f => f) || step == options.MaxNewTokens - 1)
                    break;
                var nextIds = tensor(chosen, device: model.Device).unsqueeze(1); // [batch, 1]
                var stillRunning = ones(batch, 1, dtype: ScalarType.Int64, device: model.Device);
                var newMask = cat([allMask, stillRunning], 1).DetachFromDisposeScope();
                allMask.Dispose();
                allMask = newMask;
                if (options.UseCache)
                {
                    if (!ReferenceEquals(stepIds, allIds))
                        stepIds.Dispose();
                    stepIds = nextIds.DetachFromDisposeScope();
                }
                else
                {
                    var grown = cat([allIds, nextIds], 1).DetachFromDisposeScope();
                    allIds.Dispose();
                    allIds = grown;
                    stepIds = allIds;
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(stepIds, allIds))
                stepIds.Dispose();
            allIds.Dispose();
            allMask.Dispose();
        }
        return outputs;
    }

    /// <summary>
    /// Generates after a prompt given as embeddings <c>[1, tokens, hidden]</c> (a multimodal prompt with media tokens
    /// spliced in), then feeds the generated ids back as usual, with a KV cache.
    /// </summary>
    /// <param name="model">The decoder.</param>
    /// <param name="promptEmbeddings"><c>[1, tokens, hidden]</c>.</param>
    /// <param name="promptContext">The prompt's context (token modalities, sample keys).</param>
    /// <param name="options">How to pick tokens and when to stop.</param>
    /// <returns>The new token ids, including the stop token that ended generation.</returns>
    public static IReadOnlyList<int> GenerateFromEmbeddings(ICausalLanguageModel model, Tensor promptEmbeddings, ForwardContext? promptContext,
        GenerationOptions options)
    {
        options.Validate();
        if (promptEmbeddings.dim() != 3 || promptEmbeddings.shape[0] != 1)
            throw new ArgumentException($"prompt embeddings must be [1, tokens, hidden]; got [{string.Join(", ", promptEmbeddings.shape)}].");
        var output = new List<int>();
        if (options.MaxNewTokens == 0)
            return output;
        var stops = options.StopTokenIds.ToHashSet();
        // Later steps are text; sample-level routing keys stay with the sample.
        var stepContext = new ForwardContext { SampleKeys = promptContext?.SampleKeys ?? new Dictionary<string, Tensor>() };
        using var _ = no_grad();
        using var sampler = new TokenSampler(options);
        using var cache = model.CreateCache(promptEmbeddings.shape[1] + options.MaxNewTokens);
        Tensor? next = null;
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            var input = step == 0
                ? new DecoderInput { InputsEmbeds = promptEmbeddings, Cache = cache, Context = promptContext, LogitsToKeep = 1 }
                : new DecoderInput { InputIds = next, Cache = cache, Context = stepContext, LogitsToKeep = 1 };
            var logits = model.Forward(input).Logits.select(1, -1);          // [1, vocab]
            int id = (int)sampler.Next(logits).cpu().item<long>();
            output.Add(id);
            if (stops.Contains(id))
                break;
            next?.Dispose();
            next = tensor(new long[,] { { id } }, device: model.Device).DetachFromDisposeScope();
        }
        next?.Dispose();
        return output;
    }
}
