using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Pill;

/// <summary>The llama fixture with a batch that mixes image, audio and text tokens, as a multimodal model would feed it.</summary>
internal sealed class PillFixture : IDisposable
{
    public PillFixture()
    {
        Model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        Ids = FixturePaths.Expected("llama", "input_ids");                        // [2, 11]
        // Sample 0: text, 4 image tokens, text. Sample 1: 3 audio tokens, 2 image tokens, text.
        Modalities = tensor(new long[,]
        {
            { 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 },
            { 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0 },
        });
        Context = new ForwardContext { TokenModality = Modalities, Training = true };
    }

    public LlamaForCausalLM Model { get; }

    /// <summary>Token ids <c>[2, 11]</c>.</summary>
    public Tensor Ids { get; }

    /// <summary>Per-token modality ids <c>[2, 11]</c>.</summary>
    public Tensor Modalities { get; }

    /// <summary>A context carrying <see cref="Modalities"/>.</summary>
    public ForwardContext Context { get; }

    /// <summary>The model's logits <c>[2, 11, vocab]</c> on the fixture ids.</summary>
    public Tensor Logits(ForwardContext? context) =>
        Model.Forward(new DecoderInput { InputIds = Ids, Context = context }).Logits;

    public void Dispose()
    {
        Model.Dispose();
        Ids.Dispose();
        Modalities.Dispose();
    }
}
