using MMAdapt.Adapters;
using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Peft;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Adapters.Lora;

/// <summary>The disable scope nested, and what MergeAll leaves unmerged (with the reason).</summary>
public class AdapterScopeTests
{
    [Fact]
    public void Disable_scopes_nest_and_the_outer_one_stays_in_force()
    {
        using var model = AdapterCases.Model();
        using var ids = AdapterCases.InputIds();
        PeftAdapter.Load(model, FixturePaths.Of("llama", "peft_lora"));
        using var plain = FixturePaths.Expected("llama", "logits");
        using var adapted = FixturePaths.Expected("llama", "logits_with_peft_lora");
        Assert.Empty(AdapterScopes.MergeAll(model));

        using (AdapterScopes.Disable(model))
        {
            using (AdapterScopes.Disable(model))
            {
                using var inner = AdapterCases.Logits(model, ids);
                TensorAssert.Close(inner, plain, 1e-5, "inner scope");
            }
            using var outer = AdapterCases.Logits(model, ids);
            TensorAssert.Close(outer, plain, 1e-5, "outer scope after the inner one ended");
            Assert.False(model.LmHead.AdaptersEnabled);
        }
        Assert.True(model.LmHead.AdaptersEnabled);
        var merged = AdapterScopes.Projections(model).Where(p => p.Adapters.Merged.Count > 0).Select(p => p.Name).ToList();
        Assert.Equal(4, merged.Count);                                               // merged again after the outer scope
        using var after = AdapterCases.Logits(model, ids);
        TensorAssert.Close(after, adapted, 1e-4, "after both scopes");
    }

    [Fact]
    public void Merge_all_leaves_an_adapter_on_a_tied_weight_unmerged_and_says_why()
    {
        using var model = AdapterCases.Model("qwen2");                               // tie_word_embeddings: true
        LoraAttacher.Attach(model, "llm", AdapterCases.Lora() with { TargetModules = ModuleSelector.Of("embed_tokens", "q_proj") });
        var skipped = AdapterScopes.MergeAll(model);
        Assert.Equal(["model.embed_tokens.default (LoraEmbedding): its weight is shared with 'lm_head' (tied weights), " +
                      "so folding it in would change that layer too"], skipped);
        Assert.Equal(["default"], AdapterScopes.Projections(model).Single(p => p.Name == "model.layers.0.self_attn.q_proj").Adapters.Merged);
        Assert.Empty(model.Model.EmbedTokens.Adapters.Merged);
    }
}
