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
        // One token stream: BOS sentence EOS BOS sentence EOS ...
        return PretrainOn(folder, tokenizer, corpus.Select(sentence => tokenizer.Encode(sentence)), options, progress, endOfTurn: null);
    }

    /// <summary>
    /// The quickstart's language model: a tokenizer and decoder trained on the text of the synthetic conversations
    /// (<see cref="Synthetic.SyntheticDataset"/>'s questions and answers about shapes, sounds and words, in the ChatML
    /// template). Where a conversation has a picture or a sound, the LM reads a caption in its place, three times in four
    /// (<c>(picture: two red circles, left)</c>, <c>(sound: low steady tone)</c>), and nothing the fourth time. So it
    /// speaks the dataset's language, answers the text-only questions, and answers media questions from a description,
    /// but cannot see or hear: without one it knows only the form of the answer. Connectors then learn to say, in
    /// embeddings, what the captions said in words.
    /// </summary>
    /// <param name="folder">Where to write (created if missing).</param>
    /// <param name="options">Sizes and training; <see cref="TinyLanguageModelOptions.Sentences"/> is the number of conversations.</param>
    /// <param name="progress">Progress lines, or null.</param>
    public static TinyPretrainingReport PretrainOnConversations(string folder, TinyLanguageModelOptions options, Action<string>? progress = null)
    {
        Directory.CreateDirectory(folder);
        // Rows from their own stream (2), apart from the datasets' train (0) and test (1) splits. A third of them
        // text-only questions (15% of a dataset): their answers hang on one word of the question, which takes more
        // examples to learn than reading a caption.
        var text = new List<Synthetic.SyntheticRow>();
        var media = new List<Synthetic.SyntheticRow>();
        for (int i = 0; text.Count + media.Count < options.Sentences; i++)
        {
            var row = Synthetic.SyntheticRow.Create($"lm_{i}", Data.SplitMix64.ForStream(options.Seed, 2, i, 0));
            if (row.Kind == "text" ? text.Count < options.Sentences / 3 : media.Count < options.Sentences - options.Sentences / 3)
                (row.Kind == "text" ? text : media).Add(row);
        }
        var rows = media.Select((row, i) => Describe(row, captioned: i % 4 != 3)).Concat(text.Select(row => Describe(row, captioned: false)))
            .Select((row, i) => (row, i)).OrderBy(p => (p.i * 7919L) % (text.Count + media.Count)).Select(p => p.row) // interleave kinds, deterministically
            .ToList();
        Synthetic.SyntheticTokenizer.Write(folder, rows.SelectMany(r => r).Select(m => m.Content).Prepend("system user assistant"), options.VocabSize);
        var tokenizer = TextTokenizer.FromFolder(folder);
        var template = Models.Chat.ChatTemplate.ByName("chatml");
        // A chat model stops at the end of its turn as well as at EOS (as Qwen2's generation_config.json says).
        return PretrainOn(folder, tokenizer, rows.Select(r => template.Encode(tokenizer, r, addGenerationPrompt: false).Ids), options, progress,
            tokenizer.TokenToId(Synthetic.SyntheticTokenizer.ImEnd));
    }

    // The row's turns with each placeholder replaced by a caption of what it shows, or removed.
    private static List<Models.Chat.ChatMessage> Describe(Synthetic.SyntheticRow row, bool captioned) =>
        row.Messages.Select(m => m with
        {
            Content = m.Content
                .Replace("<image>\n", captioned && row.Scene is { } scene ? Synthetic.SyntheticCaptions.Picture(scene) + "\n" : "", StringComparison.Ordinal)
                .Replace("<audio>\n", captioned && row.Tone is { } tone ? Synthetic.SyntheticCaptions.Sound(tone) + "\n" : "", StringComparison.Ordinal),
        }).ToList();

    // Builds the decoder for the tokenizer in `folder`, trains it on the documents (each between BOS and EOS in one
    // token stream) and writes the checkpoint beside the tokenizer.
    private static TinyPretrainingReport PretrainOn(string folder, TextTokenizer tokenizer, IEnumerable<IReadOnlyList<int>> documents,
        TinyLanguageModelOptions options, Action<string>? progress, int? endOfTurn)
    {
        int bos = tokenizer.BosTokenId!.Value, eos = tokenizer.EosTokenId!.Value, pad = tokenizer.PadTokenId!.Value;
        var stream = new List<long>();
        foreach (var document in documents)
        {
            stream.Add(bos);
            stream.AddRange(document.Select(i => (long)i));
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
            WriteGenerationConfig(folder, bos, endOfTurn is int turn ? [turn, eos] : [eos], pad);
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
        // Window starts: anywhere, or (aligned) only at the BOS of a document that the window can start from.
        long bos = model.Config.BosTokenId is [var first0, ..] ? first0 : -1;
        using var documentStarts = options.AlignToDocuments
            ? tensor(Enumerable.Range(0, (int)windows).Where(k => stream[k] == bos).Select(k => (long)k).ToArray())
            : null;
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
            var starts = documentStarts is null
                ? randint(windows, [options.BatchSize], generator: generator)                                // [batch]
                : documentStarts.index_select(0, randint(documentStarts.shape[0], [options.BatchSize], generator: generator));
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

    private static void WriteGenerationConfig(string folder, int bos, int[] stops, int pad)
    {
        var config = new GenerationConfig { BosTokenId = [bos], EosTokenId = stops, PadTokenId = [pad], DoSample = false, MaxNewTokens = 32 };
        AtomicFile.WriteAllText(Path.Combine(folder, "generation_config.json"), HfConfigReader.Serialize(config));
    }
}
