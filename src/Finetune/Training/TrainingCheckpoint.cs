using MMAdapt.Adapters.Training;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Configuration;
using MMAdapt.Core.IO;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Training;

/// <summary>
/// A training checkpoint folder: <c>trained.safetensors</c> (every adapter, connector and head parameter, and parameters trained
/// in full, named <c>&lt;component&gt;.&lt;key&gt;</c>), <c>optimizer.safetensors</c> (AdamW moments),
/// <c>trainer_state.json</c> (step, data position, RNG). Written atomically through <see cref="CheckpointFolders"/>.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Trained weights.</summary>
    public const string WeightsFile = "trained.safetensors";
    /// <summary>Optimiser moments.</summary>
    public const string OptimizerFile = "optimizer.safetensors";
    /// <summary>Trainer state.</summary>
    public const string StateFile = "trainer_state.json";

    /// <summary>The tensors a checkpoint keeps: every adapter, connector and classification-head parameter, and the named extras.</summary>
    public static IReadOnlyList<TrainableParameter> Saved(IReadOnlyList<TrainableParameter> all, IEnumerable<string> extra)
    {
        var extras = extra.ToHashSet(StringComparer.Ordinal);
        return all.Where(p => p.Component.StartsWith("connector:", StringComparison.Ordinal) || p.Component == "head"
                              || Trainability.IsAdapterParameter(p.Name[(p.Component.Length + 1)..])
                              || extras.Contains(p.Name)).ToList();
    }

    /// <summary>Writes a checkpoint folder atomically.</summary>
    /// <param name="folder">The checkpoint folder (replaced atomically).</param>
    /// <param name="saved">The parameters to keep.</param>
    /// <param name="optimizer">The optimiser whose moments to keep, or null (final checkpoints).</param>
    /// <param name="state">The trainer state.</param>
    /// <param name="extras">Writes more files into the folder before it is renamed into place (e.g. adapters in their own formats), or null.</param>
    public static void Save(string folder, IReadOnlyList<TrainableParameter> saved, AdamWOptimizer? optimizer, TrainerState state, Action<string>? extras = null)
    {
        CheckpointFolders.Write(folder, temporary =>
        {
            extras?.Invoke(temporary);
            SafetensorsWriter.Write(Path.Combine(temporary, WeightsFile), saved.ToDictionary(p => p.Name, p => (Tensor)p.Parameter));
            if (optimizer is not null)
                SafetensorsWriter.Write(Path.Combine(temporary, OptimizerFile), optimizer.StateTensors(),
                    new Dictionary<string, string> { ["optimizer_steps"] = optimizer.StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            AtomicFile.WriteAllText(Path.Combine(temporary, StateFile), HfConfigReader.Serialize(state));
        });
    }

    /// <summary>Reads a checkpoint's state.</summary>
    public static TrainerState ReadState(string folder) => HfConfigReader.Read<TrainerState>(Path.Combine(folder, StateFile));

    /// <summary>Loads a checkpoint's weights into the matching parameters (strict: every saved tensor must exist and fit).</summary>
    /// <exception cref="CheckpointException">A tensor the model lacks or of another shape (named).</exception>
    public static void LoadWeights(string folder, IReadOnlyList<TrainableParameter> all)
    {
        var byName = all.ToDictionary(p => p.Name, StringComparer.Ordinal);
        using var file = SafetensorsFile.Open(Path.Combine(folder, WeightsFile));
        foreach (var info in file.Tensors)
        {
            if (!byName.TryGetValue(info.Name, out var target))
                throw new CheckpointException(file.Path, info.Name, "the model has no such parameter (was it built from the same recipe?)");
            file.ReadInto(info.Name, target.Parameter);
        }
    }

    /// <summary>Loads a checkpoint's optimiser state.</summary>
    public static void LoadOptimizer(string folder, AdamWOptimizer optimizer)
    {
        var path = Path.Combine(folder, OptimizerFile);
        if (!File.Exists(path))
            return;
        using var file = SafetensorsFile.Open(path);
        var state = file.Tensors.ToDictionary(t => t.Name, t => file.Read(t.Name));
        try
        {
            optimizer.LoadState(state, int.Parse(file.Metadata["optimizer_steps"], System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            foreach (var t in state.Values)
                t.Dispose();
        }
    }
}
