using MMAdapt.Models.Tokenization;

namespace MMAdapt.Finetune.Running;

/// <summary>
/// The tokenizer of a shapes-only build (<c>mmadapt validate</c>) whose LLM folder ships configs but no tokenizer files
/// (the recipes for real models do, to stay small): 256 byte symbols and the chat templates' special tokens, no merges.
/// Nothing is tokenised with it; it only completes the model so parameter counts can be printed.
/// </summary>
public static class ShapeOnlyTokenizer
{
    private static readonly string[] Specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|eot_id|>"];

    /// <summary>Builds the stand-in (written to a temporary folder and read back through the real loader).</summary>
    public static TextTokenizer Create()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mmadapt-shape-tokenizer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            new BpeTrainer { VocabSize = 256 + Specials.Length, SpecialTokens = Specials, EosToken = Specials[0] }.TrainFolder([], folder);
            return TextTokenizer.FromFolder(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
