using System.Text.Json.Nodes;
using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using Xunit;

namespace MMAdapt.Tests.Finetune.Running;

public class AdapterBuilderTests
{
    private static AdapterSpec Lora(JsonObject settings) =>
        new() { Name = "lora", Type = "lora", Targets = ModuleSelector.Of("q_proj"), Settings = settings };

    [Fact]
    public void Lora_settings_take_peft_names_or_the_mixtures_names()
    {
        var peft = (LoraConfig)AdapterBuilder.PeftConfigOf(Lora(new JsonObject { ["r"] = 4, ["lora_alpha"] = 8, ["lora_dropout"] = 0.1 }), "adapters[0]")!;
        var short_ = (LoraConfig)AdapterBuilder.PeftConfigOf(Lora(new JsonObject { ["rank"] = 4, ["alpha"] = 8, ["dropout"] = 0.1 }), "adapters[0]")!;
        Assert.Equal((4, 8.0, 0.1), (peft.Rank, peft.Alpha, peft.Dropout));
        Assert.Equal((peft.Rank, peft.Alpha, peft.Dropout), (short_.Rank, short_.Alpha, short_.Dropout));
        var both = Assert.Throws<InvalidDataException>(() => AdapterBuilder.PeftConfigOf(Lora(new JsonObject { ["rank"] = 4, ["r"] = 8 }), "adapters[0]"));
        Assert.Equal("adapters[0]: adapter 'lora' (lora) sets both 'rank' and 'r', which mean the same; keep one.", both.Message);
        var unknown = Assert.Throws<InvalidDataException>(() => AdapterBuilder.PeftConfigOf(Lora(new JsonObject { ["rnak"] = 4 }), "adapters[0]"));
        Assert.Contains("'rnak'", unknown.Message);
    }
}
