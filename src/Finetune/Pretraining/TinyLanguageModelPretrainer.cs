using MMAdapt.Core.Configuration;
using MMAdapt.Core.IO;
using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Models.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Pretraining;

/// <summary>What a tiny pretraining run did.</summary>
/// <param name="Folder">The checkpoint folder written.</param>
/// <param name="Parameters">Parameter count of the model.</param>
/// <param name="FirstLoss">Mean cross-entropy of the first step.</param>
/// <param name="FinalLoss">Mean cross-entropy over the last 20 steps.</param>
public sealed record TinyPretrainingReport(string Folder, long Parameters, double FirstLoss, double FinalLoss);

/// <summary>
/// Builds the repository's tiny demo language model from nothing: a byte-level BPE tokenizer trained on
/// <see cref="ShapeSentences"/>, a Llama-architecture decoder initialised from a seed, and a short AdamW
/// pretraining run, written as a Hugging Face folder (config.json, generation_config.json,
/// model.safetensors, tokenizer.json, tokenizer_config.json) that loads through the same code as real
/// checkpoints. The same options give byte-identical files (one compute thread, seeded everything).
/// </summary>
public static class TinyLanguageModelPretrainer
{
    private const string Bos = "<|begin_of_text|>", Eos = "<|end_of_text|>", Pad = "<|pad|>";

    /// <summary>Trains and writes the model into <paramref name="folder"/> (created if missing).</summary>
    public static TinyPretrainingReport Pretrain(string folder, TinyLanguageModelOptions options, Action<string>? progress = null)
    {
        Directory.CreateDirectory(folder);
        var corpus = ShapeSentences.Generate(options.Sentences, options.Seed);
        var trainer = new BpeTrainer { VocabSize = options.VocabSize, SpecialTokens = [Bos, Eos, Pad], BosToken = Bos, EosToken = Eos, PadToken = Pad };
        trainer.TrainFolder(corpus, folder);
        var tokenizer = TextTokenizer.FromFolder(folder);
        int bos = tokenizer.BosTokenId!.Value, eos = tokenizer.EosTokenId!.Value, pad = tokenizer.PadTokenId!.Value;

        // One token stream: BOS sentence EOS BOS sentence EOS ...
        var stream = new List<long>();
        foreach (var sentence in corpus)
        {
            stream.Add(bos);
            stream.AddRange(tokenizer.Encode(sentence).Select(i => (long)i));
            stream.Add(eos);
        }

        var config = new LlamaConfig
        {
            ModelType = "llama",
            VocabSize = tokenizer.VocabSize,
            HiddenSize = options.HiddenSize,
            IntermediateSize = options.IntermediateSize,
            NumHiddenLayers = options.Layers,
            NumAttentionHeads = options.Heads,
            NumKeyValueHeadsSetting = options.KeyValueHeads,
            MaxPositionEmbeddings = 256,
            RmsNormEps = 1e-5,
            TieWordEmbeddings = true,
            BosTokenId = [bos],
            EosTokenId = [eos],
            PadTokenId = [pad],
        };

        int threads = get_num_threads();
        set_num_threads(1); // one thread: reductions in a fixed order, so reruns give identical bytes
        try
        {
            using var model = new LlamaForCausalLM(config);
            model.InitializeWeights(options.Seed);
            var report = Train(model, stream, options, progress);
            model.SavePretrained(folder);
            WriteGenerationConfig(folder, bos, eos, pad);
            return report with { Folder = Path.GetFullPath(folder) };
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private static TinyPretrainingReport Train(LlamaForCausalLM model, List<long> stream, TinyLanguageModelOptions options, Action<string>? progress)
    {
        using var tokens = tensor(stream.ToArray());
        using var generator = new Generator((ulong)options.Seed + 1);
        var parameters = ModuleParameters.Unique(model);
        using var optimizer = optim.AdamW(parameters, lr: options.LearningRate, weight_decay: 0.01);
        long windows = stream.Count - options.SequenceLength - 1;
        double first = 0, tail = 0;
        int tailSteps = Math.Min(20, options.Steps);
        model.train();
        for (int step = 0; step < options.Steps; step++)
        {
            using var scope = NewDisposeScope();
            // Cosine decay from the peak to 10% of it.
            double lr = options.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * step / options.Steps)));
            foreach (var group in optimizer.ParamGroups)
                group.LearningRate = lr;
            var starts = randint(windows, [options.BatchSize], generator: generator);                     // [batch]
            var offsets = arange(options.SequenceLength + 1).unsqueeze(0);                               // [1, length+1]
            var batch = tokens.index_select(0, (starts.unsqueeze(1) + offsets).reshape(-1))
                .reshape(options.BatchSize, options.SequenceLength + 1);                                  // [batch, length+1]
            var inputs = batch.narrow(1, 0, options.SequenceLength);
            var targets = batch.narrow(1, 1, options.SequenceLength);
            var logits = model.Forward(new DecoderInput { InputIds = inputs }).Logits;                   // [batch, length, vocab]
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.reshape(-1));
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            double value = loss.item<float>();
            if (step == 0)
                first = value;
            if (step >= options.Steps - tailSteps)
                tail += value / tailSteps;
            if (progress is not null && (step % 50 == 0 || step == options.Steps - 1))
                progress($"step {step,4}/{options.Steps}  loss {value:F4}  lr {lr:E2}");
        }
        model.eval();
        long count = parameters.Select(p => p.numel()).Sum();
        return new TinyPretrainingReport("", count, first, tail);
    }

    private static void WriteGenerationConfig(string folder, int bos, int eos, int pad)
    {
        var config = new GenerationConfig { BosTokenId = [bos], EosTokenId = [eos], PadTokenId = [pad], DoSample = false, MaxNewTokens = 32 };
        AtomicFile.WriteAllText(Path.Combine(folder, "generation_config.json"), HfConfigReader.Serialize(config));
    }
}
