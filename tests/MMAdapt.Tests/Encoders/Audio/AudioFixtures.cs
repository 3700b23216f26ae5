using System.Text.Json.Nodes;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Tests.TestSupport;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>Fixture access, edited copies of fixture configs, and the element-wise error the audio tolerances are stated in.</summary>
internal static class AudioFixtures
{
    /// <summary>Reads one tensor of <c>Fixtures/{folder}/expected.safetensors</c>.</summary>
    public static Tensor Expected(string folder, string name)
    {
        using var file = SafetensorsFile.Open(FixturePaths.Of(folder, "expected.safetensors"));
        return file.Read(name);
    }

    /// <summary>max |actual - expected| over the whole tensor (shapes must match).</summary>
    public static double MaxAbsDiff(Tensor actual, Tensor expected)
    {
        Xunit.Assert.Equal(expected.shape, actual.shape);
        using var a = actual.to(ScalarType.Float64);
        using var e = expected.to(ScalarType.Float64);
        using var diff = (a - e).abs().max();
        return diff.item<double>();
    }

    public static double MaxAbsDiff(float[] actual, Tensor expected)
    {
        using var a = tensor(actual);
        return MaxAbsDiff(a, expected);
    }

    /// <summary>Copies a fixture folder into <paramref name="temp"/>, sets one key of its
    /// <c>preprocessor_config.json</c>, and returns the copy's folder and config path.</summary>
    public static (string Folder, string ConfigPath) WithPreprocessorKey(TempFolder temp, string fixtureFolder, string key, object value)
    {
        var folder = temp.CopyOf(fixtureFolder);
        var path = Path.Combine(folder, "preprocessor_config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json[key] = JsonValue.Create(value);
        File.WriteAllText(path, json.ToJsonString());
        return (folder, path);
    }
}
