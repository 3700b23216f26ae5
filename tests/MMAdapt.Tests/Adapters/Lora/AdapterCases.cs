using System.Text.Json;
using MMAdapt.Adapters.Ia3;
using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Peft;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Adapters.Training;
using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Lora;

/// <summary>The LoRA-family adapter kinds the shared tests run over, each as a PEFT config for the llama fixture, and
/// the fixture helpers they use (logits, a next-token loss, one AdamW step).</summary>
internal static class AdapterCases
{
    /// <summary>Kind name → config; every kind is identity at initialisation.</summary>
    public static IReadOnlyDictionary<string, PeftConfig> Configs { get; } = new Dictionary<string, PeftConfig>
    {
        ["lora"] = Lora(),
        ["dora"] = Lora() with { UseDora = true },
        ["rslora"] = Lora() with { UseRsLora = true },
        ["gaussian"] = Lora() with { InitLoraWeights = Json("\"gaussian\"") },
        ["embedding"] = Lora() with { TargetModules = ModuleSelector.Of("embed_tokens") },
        ["ia3_output"] = new Ia3Config { TargetModules = ModuleSelector.Of("k_proj", "v_proj") },
        ["ia3_feedforward"] = new Ia3Config { TargetModules = ModuleSelector.Of("down_proj"), FeedforwardModules = ModuleSelector.Of("down_proj") },
    };

    /// <summary>Trainable tensors each kind adds to the 2-layer fixture.</summary>
    public static IReadOnlyDictionary<string, int> TensorCounts { get; } = new Dictionary<string, int>
    {
        ["lora"] = 8, ["dora"] = 12, ["rslora"] = 8, ["gaussian"] = 8, ["embedding"] = 2, ["ia3_output"] = 4, ["ia3_feedforward"] = 2,
    };

    public static TheoryData<string> Kinds
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var kind in Configs.Keys)
                data.Add(kind);
            return data;
        }
    }

    /// <summary>r 4, alpha 8 on q_proj and v_proj, as the fixture's PEFT adapter.</summary>
    public static LoraConfig Lora() => new() { Rank = 4, Alpha = 8, TargetModules = ModuleSelector.Of("q_proj", "v_proj") };

    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>Attaches a config's adapters under <paramref name="name"/>.</summary>
    public static IReadOnlyDictionary<string, ProjectionAdapter> Attach(nn.Module model, PeftConfig config, string name = "default", long seed = 1) =>
        config switch
        {
            LoraConfig lora => LoraAttacher.Attach(model, "llm", lora, name, seed),
            Ia3Config ia3 => Ia3Attacher.Attach(model, "llm", ia3, name, seed),
            _ => throw new ArgumentException(config.GetType().Name),
        };

    public static LlamaForCausalLM Model(string family = "llama") => LlamaForCausalLM.FromPretrained(FixturePaths.Of(family));

    public static Tensor InputIds(string family = "llama") => FixturePaths.Expected(family, "input_ids");

    /// <summary>Logits <c>[batch, tokens, vocab]</c> without gradients.</summary>
    public static Tensor Logits(LlamaForCausalLM model, Tensor ids)
    {
        using var _ = no_grad();
        var output = model.Forward(new DecoderInput { InputIds = ids });
        output.LastHiddenState.Dispose();
        return output.Logits;
    }

    /// <summary>Mean next-token cross-entropy: logits of tokens 0..T-2 against ids 1..T-1.</summary>
    public static Tensor NextTokenLoss(LlamaForCausalLM model, Tensor ids)
    {
        using var scope = NewDisposeScope();
        var logits = model.Forward(new DecoderInput { InputIds = ids }).Logits;              // [batch, T, vocab]
        long tokens = ids.shape[1] - 1;
        var predicted = logits.narrow(1, 0, tokens).reshape(-1, logits.shape[2]);            // [batch·(T-1), vocab]
        var targets = ids.narrow(1, 1, tokens).reshape(-1);                                   // [batch·(T-1)]
        return nn.functional.cross_entropy(predicted, targets).MoveToOuterDisposeScope();
    }

    /// <summary>One optimiser step on the fixture batch, in its own dispose scope.</summary>
    public static void Step(LlamaForCausalLM model, Tensor ids, optim.Optimizer optimizer)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        NextTokenLoss(model, ids).backward();
        optimizer.step();
    }

    /// <summary>Freezes the model but its adapters and takes <paramref name="steps"/> AdamW steps (lr 1e-2, no weight decay).</summary>
    public static void TrainAdapters(LlamaForCausalLM model, Tensor ids, int steps)
    {
        Trainability.FreezeAll(model);
        Trainability.UnfreezeAdapters(model);
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), lr: 1e-2, weight_decay: 0);
        for (int i = 0; i < steps; i++)
            Step(model, ids, optimizer);
    }

    /// <summary>Detached copies of the named parameters (the caller disposes them).</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module model, Func<string, bool> which)
    {
        using var _ = no_grad();
        return model.named_parameters().Where(p => which(p.name)).ToDictionary(p => p.name, p => p.parameter.detach().clone());
    }

    /// <summary>Bit-for-bit equality of two tensors of the same shape.</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape))
            return false;
        using var equal = a.eq(b);
        using var all = equal.all();
        return all.item<bool>();
    }

    public static void DisposeAll(IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors)
            t.Dispose();
    }

    /// <summary>The largest element-wise change of a parameter against its snapshot.</summary>
    public static double MaxChange(Tensor now, Tensor before)
    {
        using var difference = (now - before).abs().max();
        return difference.item<float>();
    }
}
