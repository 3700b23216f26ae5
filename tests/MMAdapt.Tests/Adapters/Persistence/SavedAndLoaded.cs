using System.Text.Json.Nodes;
using MMAdapt.Adapters.Persistence;
using MMAdapt.Adapters.Training;
using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Ast;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Persistence;

/// <summary>
/// One save/load round trip: a fixture model gets adapters, every adapter parameter is perturbed (so up projections and
/// gates are non-zero), <see cref="MmadaptModules.Save"/> writes them, and <see cref="MmadaptModules.Load"/> rebuilds them
/// in a fresh copy of the model; the outputs of both (and of the model without adapters) are kept for the assertions.
/// </summary>
internal sealed class SavedAndLoaded : IDisposable
{
    private readonly TempFolder folder = new();

    /// <param name="fresh">Loads the fixture model.</param>
    /// <param name="component">The component name the modules are saved under.</param>
    /// <param name="attach">Attaches the adapters under test.</param>
    /// <param name="run">The model's output on the fixture input.</param>
    public SavedAndLoaded(Func<nn.Module> fresh, string component, Action<nn.Module> attach, Func<nn.Module, Tensor> run)
    {
        Original = fresh();
        Base = run(Original);
        attach(Original);
        Perturbed = Perturb(Original);
        Expected = run(Original);
        Saved = MmadaptModules.Save([(component, Original)], folder.Path);
        Config = JsonNode.Parse(File.ReadAllText(folder.File(MmadaptModules.ConfigFile)))!;
        Reloaded = fresh();
        Loaded = MmadaptModules.Load([(component, Reloaded)], folder.Path);
        Actual = run(Reloaded);
    }

    public nn.Module Original { get; }

    public nn.Module Reloaded { get; }

    /// <summary>The output without adapters.</summary>
    public Tensor Base { get; }

    /// <summary>The output with the perturbed adapters.</summary>
    public Tensor Expected { get; }

    /// <summary>The output after reloading them into a fresh model.</summary>
    public Tensor Actual { get; }

    /// <summary>How many adapter tensors were perturbed.</summary>
    public int Perturbed { get; }

    public int Saved { get; }

    public int Loaded { get; }

    /// <summary>The written <c>mmadapt_config.json</c>.</summary>
    public JsonNode Config { get; }

    public bool BitIdentical => Actual.eq(Expected).all().item<bool>();

    /// <summary>Every attached adapter of a model: where it sits, its name and the module.</summary>
    public static List<(string Path, string Name, nn.Module Adapter)> Adapters(nn.Module model)
    {
        var found = new List<(string, string, nn.Module)>();
        foreach (var (path, module) in model.named_modules())
        {
            if (module is IAdapterHost host)
                found.AddRange(host.Adapters.Items.Select(i => (path, i.Name, (nn.Module)i.Adapter)));
            else if (module is SublayerAdapterSite site)
                found.AddRange(site.Items.Select(i => (path, i.Name, (nn.Module)i.Adapter)));
        }
        return found;
    }

    /// <summary>The adapters of both models, in order, as (path, name, type, settings JSON) rows.</summary>
    public (List<string> Original, List<string> Reloaded) Listings() => (Listing(Original), Listing(Reloaded));

    /// <summary>The llama fixture's ids <c>[2, 11]</c> with text and image tokens (sample 0: text, 4 image tokens, text;
    /// sample 1: text, 2 image tokens, text), through the model: logits <c>[2, 11, vocab]</c>.</summary>
    public static Tensor LlamaLogits(nn.Module model)
    {
        using var ids = FixturePaths.Expected("llama", "input_ids");
        using var modality = tensor(new long[,] { { 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 }, { 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0 } });
        using var _ = no_grad();
        return ((LlamaForCausalLM)model).Forward(new DecoderInput { InputIds = ids, Context = new ForwardContext { TokenModality = modality } }).Logits;
    }

    /// <summary>The AST fixture's spectrogram <c>[1, 100, 32]</c> through the model: last hidden state <c>[1, tokens, 48]</c>.</summary>
    public static Tensor AstHidden(nn.Module model)
    {
        using var values = FixturePaths.Expected("ast", "input_values");
        using var batch = values.unsqueeze(0);
        using var _ = no_grad();
        return ((AstModel)model).Forward(batch).Encoder.LastHiddenState;
    }

    public static nn.Module Llama() => LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));

    public static nn.Module Ast() => AstModel.FromPretrained(FixturePaths.Of("ast"));

    /// <summary>Adds seeded N(0, 0.05²) noise to every adapter parameter; returns how many tensors.</summary>
    public static int Perturb(nn.Module model)
    {
        using var generator = new Generator(11);
        using var _ = no_grad();
        int count = 0;
        foreach (var (name, p) in model.named_parameters())
            if (Trainability.IsAdapterParameter(name))
            {
                using var noise = randn(p.shape, generator: generator) * 0.05;
                p.add_(noise.to(p.dtype));
                count++;
            }
        return count;
    }

    private static List<string> Listing(nn.Module model) =>
        Adapters(model).Select(a => $"{a.Path} {a.Name} {a.Adapter.GetType().Name} {AdapterKinds.Of(a.Adapter)?.Describe(a.Adapter).ToJsonString()}").ToList();

    public void Dispose()
    {
        Actual.Dispose();
        Expected.Dispose();
        Base.Dispose();
        Reloaded.Dispose();
        Original.Dispose();
        folder.Dispose();
    }
}
