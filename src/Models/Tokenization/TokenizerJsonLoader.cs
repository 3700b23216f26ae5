using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> whose model is byte-level BPE and builds a
/// <see cref="ByteLevelBpeModel"/>. Other model types (WordPiece, Unigram, WordLevel) and SentencePiece-style
/// BPE (byte fallback, Metaspace) fail with <see cref="NotSupportedException"/> naming the file and the type.
/// </summary>
internal static class TokenizerJsonLoader
{
    /// <summary>Loads <paramref name="path"/>.</summary>
    public static ByteLevelBpeModel Load(string path)
    {
        var root = JsonCursor.Load(path, out var document);
        using (document)
        {
            return Build(root, path);
        }
    }

    private static ByteLevelBpeModel Build(JsonCursor root, string path)
    {
        var model = root.Required("model");
        var type = model.Optional("type")?.String() ?? "BPE";
        if (type != "BPE")
        {
            throw new NotSupportedException(
                $"{path}: model.type '{type}' is not supported; MMAdapt reads byte-level BPE tokenizer.json files (GPT-2, Llama 3, Qwen2) and SentencePiece tokenizer.model files.");
        }

        var preTokenizer = root.Optional("pre_tokenizer");
        var decoder = root.Optional("decoder");
        var byteLevel = HasType(preTokenizer, "ByteLevel") || HasType(decoder, "ByteLevel");
        if (!byteLevel || model.Optional("byte_fallback")?.Bool() == true)
        {
            throw new NotSupportedException(
                $"{path}: the BPE model is not byte-level (no ByteLevel pre-tokenizer or decoder; SentencePiece-style BPE with byte fallback); load the folder's tokenizer.model instead.");
        }

        foreach (var key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (model.Optional(key) is { } value && value.String().Length > 0)
            {
                throw value.Error("is not supported with byte-level BPE");
            }
        }

        var vocab = ReadVocab(model.Required("vocab"));
        var merges = ReadMerges(model.Required("merges"));
        var addedTokens = ReadAddedTokens(root.Optional("added_tokens"));
        var splitter = new AddedTokenSplitter(addedTokens);
        var (steps, addPrefixSpace) = ReadPreTokenizer(preTokenizer);
        var hfPreTokenizer = new HfPreTokenizer(splitter, steps);
        var normalizer = HfNormalizer.FromJson(root.Optional("normalizer"));

        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = true,
                PreTokenizer = hfPreTokenizer,
                Normalizer = normalizer,
                SpecialTokens = addedTokens.GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.First().Id),
            });
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{path}: key 'model' cannot be built into a BPE tokenizer ({e.Message})", e);
        }

        var (bos, eos) = ReadPostProcessorTokens(root.Optional("post_processor"));
        return new ByteLevelBpeModel(
            bpe, vocab, hfPreTokenizer, normalizer,
            ignoreMerges: model.Optional("ignore_merges")?.Bool() ?? false,
            addPrefixSpace: addPrefixSpace)
        {
            AddedTokens = addedTokens,
            PostProcessorBos = bos,
            PostProcessorEos = eos,
        };
    }

    private static Dictionary<string, int> ReadVocab(JsonCursor vocab)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in vocab.Properties())
        {
            result[token] = id.Int();
        }

        if (result.Count == 0)
        {
            throw vocab.Error("is empty");
        }

        return result;
    }

    // Merges come as "a b" strings (older files) or ["a", "b"] pairs (newer files). BpeOptions takes the string
    // form, which cannot hold a token with a space; byte-level tokens never have one (space is 'Ġ').
    // Repeated merges keep their first (highest-priority) position, as a rank table would.
    private static List<string> ReadMerges(JsonCursor merges)
    {
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in merges.Items())
        {
            string left, right;
            if (item.Element.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                var parts = item.String().Split(' ');
                if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                {
                    throw item.Error("must be two tokens separated by one space");
                }

                (left, right) = (parts[0], parts[1]);
            }
            else
            {
                var pair = item.Items().ToList();
                if (pair.Count != 2)
                {
                    throw item.Error("must be a pair of tokens");
                }

                (left, right) = (pair[0].String(), pair[1].String());
                if (left.Contains(' ') || right.Contains(' '))
                {
                    throw item.Error("holds a token with a space, which byte-level BPE never has");
                }
            }

            var merge = $"{left} {right}";
            if (seen.Add(merge))
            {
                result.Add(merge);
            }
        }

        return result;
    }

    private static List<AddedToken> ReadAddedTokens(JsonCursor? addedTokens)
    {
        if (addedTokens is null)
        {
            return [];
        }

        return addedTokens.Value.Items().Select(t => new AddedToken(
            t.Required("id").Int(),
            t.Required("content").String(),
            t.Optional("special")?.Bool() ?? false)
        {
            LeftStrip = t.Optional("lstrip")?.Bool() ?? false,
            RightStrip = t.Optional("rstrip")?.Bool() ?? false,
        }).ToList();
    }

    private static (List<(Regex, bool)> Steps, bool AddPrefixSpace) ReadPreTokenizer(JsonCursor? node)
    {
        var steps = new List<(Regex, bool)>();
        var addPrefixSpace = false;
        if (node is not null)
        {
            AddPreTokenizer(node.Value, steps, ref addPrefixSpace);
        }

        return (steps, addPrefixSpace);
    }

    private static void AddPreTokenizer(JsonCursor node, List<(Regex, bool)> steps, ref bool addPrefixSpace)
    {
        var type = node.Required("type").String();
        switch (type)
        {
            case "Sequence":
                foreach (var child in node.Required("pretokenizers").Items())
                {
                    AddPreTokenizer(child, steps, ref addPrefixSpace);
                }

                break;
            case "ByteLevel":
                addPrefixSpace |= node.Optional("add_prefix_space")?.Bool() ?? false;
                if (node.Optional("use_regex")?.Bool() ?? true)
                {
                    steps.Add((HfPreTokenizer.Compile(HfPreTokenizer.Gpt2Pattern), false));
                }

                break;
            case "Split":
                steps.Add(ReadSplit(node));
                break;
            default:
                throw node.Required("type").Error(
                    $"names pre-tokenizer '{type}', which is not supported (supported: Sequence, Split, ByteLevel)");
        }
    }

    private static (Regex, bool) ReadSplit(JsonCursor node)
    {
        if (node.Optional("invert")?.Bool() == true)
        {
            throw node.Required("invert").Error("must be false (inverted Split is not supported)");
        }

        var behavior = node.Optional("behavior")?.String() ?? "Isolated";
        if (behavior is not ("Isolated" or "Removed"))
        {
            throw node.Required("behavior").Error($"is '{behavior}'; supported: Isolated, Removed");
        }

        var pattern = node.Required("pattern");
        var regex = pattern.Optional("Regex");
        var source = regex is { } r ? r.String() : Regex.Escape(pattern.Required("String").String());
        try
        {
            return (HfPreTokenizer.Compile(source), behavior == "Removed");
        }
        catch (ArgumentException e)
        {
            throw pattern.Error($"is not a regex .NET can compile ({e.Message})");
        }
    }

    // Finds the special tokens a TemplateProcessing post-processor puts around a single sequence
    // (Llama 3: "<|begin_of_text|>" $A), also inside a Sequence of post-processors.
    private static (string? Bos, string? Eos) ReadPostProcessorTokens(JsonCursor? node)
    {
        if (node is null)
        {
            return (null, null);
        }

        var type = node.Value.Optional("type")?.String();
        if (type == "Sequence")
        {
            foreach (var child in node.Value.Required("processors").Items())
            {
                var found = ReadPostProcessorTokens(child);
                if (found != (null, null))
                {
                    return found;
                }
            }

            return (null, null);
        }

        if (type != "TemplateProcessing" || node.Value.Optional("single") is not { } single)
        {
            return (null, null);
        }

        string? bos = null, eos = null;
        var seenSequence = false;
        foreach (var item in single.Items())
        {
            if (item.Optional("Sequence") is not null)
            {
                seenSequence = true;
            }
            else if (item.Optional("SpecialToken") is { } special)
            {
                var id = special.Required("id").String();
                if (seenSequence)
                {
                    eos ??= id;
                }
                else
                {
                    bos ??= id;
                }
            }
        }

        return (bos, eos);
    }

    private static bool HasType(JsonCursor? node, string type)
    {
        if (node is null)
        {
            return false;
        }

        var own = node.Value.Optional("type")?.String();
        if (own == type)
        {
            return true;
        }

        var children = node.Value.Optional("pretokenizers") ?? node.Value.Optional("decoders");
        return own == "Sequence" && children is { } list && list.Items().Any(child => HasType(child, type));
    }
}
