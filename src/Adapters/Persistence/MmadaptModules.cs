using System.Text.Json.Nodes;
using MMAdapt.Adapters.Ia3;
using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Sublayers;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Configuration;
using MMAdapt.Core.IO;
using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Persistence;

/// <summary>
/// Saves the adapters PEFT has no type for (mixtures, routers, Soft-MoA, PILL, ...) beside a PEFT folder:
/// <c>mmadapt_modules.safetensors</c> (keys <c>&lt;component&gt;.&lt;module path&gt;.&lt;parameter&gt;</c>) and
/// <c>mmadapt_config.json</c> (where each sits, its kind and settings), and loads them back exactly.
/// LoRA, DoRA and IA3 adapters are PEFT's and go through <see cref="Peft.PeftAdapter"/> instead.
/// </summary>
public static class MmadaptModules
{
    /// <summary>The settings file.</summary>
    public const string ConfigFile = "mmadapt_config.json";

    /// <summary>The weights file.</summary>
    public const string WeightsFile = "mmadapt_modules.safetensors";

    private const string Format = "mmadapt-modules";

    /// <summary>Writes every non-PEFT adapter of the components; returns how many (nothing is written for none).</summary>
    /// <exception cref="InvalidOperationException">An adapter of a kind nothing knows how to save (named).</exception>
    public static int Save(IEnumerable<(string Component, nn.Module Root)> components, string folder)
    {
        var entries = new JsonArray();
        var tensors = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (component, root) in components)
            foreach (var (path, placement, name, adapter) in Attached(root))
            {
                if (adapter is LoraLinear or LoraEmbedding or Ia3Adapter)
                    continue; // PEFT's format
                var kind = AdapterKinds.Of(adapter) ?? throw new InvalidOperationException(
                    $"{component}.{path}: adapter '{name}' ({adapter.GetType().Name}) has no registered kind, so it cannot be saved.");
                entries.Add(new JsonObject
                {
                    ["component"] = component,
                    ["placement"] = placement,
                    ["path"] = path,
                    ["name"] = name,
                    ["kind"] = kind.Kind,
                    ["settings"] = kind.Describe(adapter),
                });
                foreach (var (key, tensor) in adapter.state_dict())
                    tensors[$"{component}.{ModulePath(path, placement, name)}.{key}"] = tensor;
            }
        if (entries.Count == 0)
            return 0;
        Directory.CreateDirectory(folder);
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFile), tensors);
        var config = new JsonObject { ["format"] = Format, ["version"] = 1, ["modules"] = entries };
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        return entries.Count;
    }

    /// <summary>Rebuilds, attaches and loads the adapters of a folder; returns how many (0 when it has no such files).</summary>
    /// <exception cref="InvalidDataException">A bad config (named with the entry): unknown component, path, kind, placement or
    /// setting; a placement that does not fit the path or the kind; a setting value the adapter or its place refuses.</exception>
    /// <exception cref="CheckpointException">Weights that do not fit (tensor and both shapes), or left over.</exception>
    public static int Load(IEnumerable<(string Component, nn.Module Root)> components, string folder)
    {
        var configPath = Path.Combine(folder, ConfigFile);
        if (!File.Exists(configPath))
            return 0;
        var roots = components.ToDictionary(c => c.Component, c => c.Root);
        using var document = HfConfigReader.ReadDocument(configPath);
        var config = JsonNode.Parse(document.RootElement.GetRawText())!.AsObject();
        if (config["format"]?.GetValue<string>() != Format)
            throw new InvalidDataException($"{configPath}: not an MMAdapt modules file (format '{config["format"]}', expected '{Format}').");
        using var checkpoint = CheckpointReader.Open(Path.Combine(folder, WeightsFile));
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        int count = 0;
        foreach (var node in config["modules"]?.AsArray() ?? [])
        {
            LoadEntry(node!.AsObject(), roots, checkpoint, consumed, configPath);
            count++;
        }
        var leftOver = checkpoint.Names.Where(n => !consumed.Contains(n)).ToList();
        if (leftOver.Count > 0)
            throw new CheckpointException(checkpoint.Path, leftOver[0], $"{leftOver.Count} tensor(s) belong to no module listed in {ConfigFile}");
        return count;
    }

    /// <summary>Rebuilds one entry's adapter, loads its tensors (adding their names to <paramref name="consumed"/>) and attaches it.</summary>
    private static void LoadEntry(JsonObject entry, Dictionary<string, nn.Module> roots, CheckpointReader checkpoint, HashSet<string> consumed,
        string configPath)
    {
        string component = entry["component"]!.GetValue<string>(), path = entry["path"]!.GetValue<string>();
        string placement = entry["placement"]!.GetValue<string>(), name = entry["name"]!.GetValue<string>();
        var source = $"{configPath}: {component}.{path} '{name}'";
        if (!roots.TryGetValue(component, out var root))
            throw new InvalidDataException($"{source}: component '{component}' is not part of this model (present: {string.Join(", ", roots.Keys)}).");
        var target = root.named_modules().FirstOrDefault(m => m.name == path).module
            ?? throw new InvalidDataException($"{source}: the model has no module '{path}'.");
        var kind = AdapterKinds.Named(entry["kind"]!.GetValue<string>(), source);
        var where = placement switch
        {
            "projection" => new AdapterPlacement(target as IAdapterHost ?? throw new InvalidDataException(
                $"{source}: placement 'projection' needs a projection, but '{path}' is {WhatIs(target)}."), null),
            "site" => new AdapterPlacement(null, target is SublayerAdapterSite
                ? AsConfigError(source, () => SublayerSites.Target(root, component, path))
                : throw new InvalidDataException($"{source}: placement 'site' needs a sublayer site, but '{path}' is {WhatIs(target)}.")),
            _ => throw new InvalidDataException($"{source}: placement '{placement}' is not known; known: projection, site."),
        };
        var adapter = AsConfigError(source, () => kind.Create(entry["settings"] as JsonObject ?? new JsonObject(), where, source));
        try
        {
            var prefix = $"{component}.{ModulePath(path, placement, name)}.";
            StateDictLoader.Load(adapter, checkpoint, n => n.StartsWith(prefix, StringComparison.Ordinal) ? n[prefix.Length..] : null);
            consumed.UnionWith(checkpoint.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)));
            if (adapter is LoraMixture mixture)
                mixture.LayerName = $"{component}.{path}";
            AsConfigError(source, () => Attach(where, name, adapter));
        }
        catch
        {
            adapter.Dispose();
            throw;
        }
    }

    // Model code refuses bad sizes and placements with ArgumentException; from a file they are bad-config errors naming the entry.
    private static T AsConfigError<T>(string source, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (ArgumentException e)
        {
            // The message without the " (Parameter 'x')" and "Actual value was" lines .NET appends.
            var message = e.ParamName is null ? e.Message : e.Message.Split('\n')[0].Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new InvalidDataException($"{source}: {message}", e);
        }
    }

    private static string WhatIs(nn.Module module) => module switch
    {
        SublayerAdapterSite => "a sublayer site",
        IAdapterHost => "a projection",
        _ => $"a {module.GetType().Name}",
    };

    private static string ModulePath(string path, string placement, string name) =>
        placement == "projection" ? $"{path}.adapters.{name}" : $"{path}.{name}";

    private static nn.Module Attach(AdapterPlacement placement, string name, nn.Module adapter)
    {
        if (placement.Host is not null)
            placement.Host.Adapters.Add(name, (ProjectionAdapter)adapter);
        else
            placement.Site!.Site.Add(name, (SublayerAdapter)adapter);
        return adapter;
    }

    private static IEnumerable<(string Path, string Placement, string Name, nn.Module Adapter)> Attached(nn.Module root)
    {
        foreach (var (path, module) in root.named_modules())
        {
            if (module is IAdapterHost host)
                foreach (var (name, adapter) in host.Adapters.Items)
                    yield return (path, "projection", name, adapter);
            else if (module is SublayerAdapterSite site)
                foreach (var (name, adapter) in site.Items)
                    yield return (path, "site", name, adapter);
        }
    }
}
