using MMAdapt.Core.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Core.Devices;

/// <summary>
/// Turns the user's <c>device</c> and <c>dtype</c> settings (<c>auto|cpu|cuda[:N]</c>,
/// <c>fp32|bf16|fp16</c>) into TorchSharp values, with errors that list the accepted spellings.
/// </summary>
public static class DeviceChoice
{
    /// <summary>Accepted device spellings.</summary>
    public static IReadOnlyList<string> DeviceNames { get; } = ["auto", "cpu", "cuda", "cuda:N"];

    /// <summary>Accepted dtype spellings (and their long forms float32, bfloat16, float16).</summary>
    public static IReadOnlyList<string> DtypeNames { get; } = ["fp32", "bf16", "fp16"];

    /// <summary>Resolves a device name; <c>auto</c> picks CUDA when TorchSharp's CUDA backend is usable, else CPU.</summary>
    /// <exception cref="ArgumentException">Unknown name, or CUDA asked for but not available.</exception>
    public static Device ResolveDevice(string? name)
    {
        TorchRuntime.EnsureLoaded();
        var value = (name ?? "auto").Trim().ToLowerInvariant();
        switch (value)
        {
            case "auto":
                return cuda.is_available() ? CUDA : CPU;
            case "cpu":
                return CPU;
        }
        if (value == "cuda" || value.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ArgumentException($"device '{name}': CUDA is not available (TorchSharp's CPU backend is installed); use cpu or auto.");
            return value == "cuda" ? CUDA : new Device(value);
        }
        throw new ArgumentException($"device '{name}' is not recognised; use one of: {string.Join(", ", DeviceNames)}.");
    }

    /// <summary>Resolves a dtype name.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the accepted ones.</exception>
    public static ScalarType ResolveDtype(string? name) => (name ?? "fp32").Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" or "float" => ScalarType.Float32,
        "bf16" or "bfloat16" => ScalarType.BFloat16,
        "fp16" or "float16" or "half" => ScalarType.Float16,
        _ => throw new ArgumentException($"dtype '{name}' is not recognised; use one of: {string.Join(", ", DtypeNames)}."),
    };
}
