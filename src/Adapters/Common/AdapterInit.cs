using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Common;

/// <summary>
/// Parameter initialisers for adapters. Values are drawn on the CPU from a seeded generator (so a seed gives the
/// same adapter on every device), then moved to the requested dtype and device.
/// </summary>
public static class AdapterInit
{
    /// <summary>Uniform on <c>[-bound, bound]</c>.</summary>
    public static Parameter Uniform(long[] shape, double bound, Generator? generator, ScalarType dtype, Device? device)
    {
        using var values = empty(shape, ScalarType.Float32);
        values.uniform_(-bound, bound, generator);
        return Finish(values, dtype, device);
    }

    /// <summary>Normal with mean 0 and the given standard deviation.</summary>
    public static Parameter Normal(long[] shape, double std, Generator? generator, ScalarType dtype, Device? device)
    {
        using var values = empty(shape, ScalarType.Float32);
        values.normal_(0, std, generator);
        return Finish(values, dtype, device);
    }

    /// <summary>All zeros (the half of an adapter that makes it start as the identity).</summary>
    public static Parameter Zeros(long[] shape, ScalarType dtype, Device? device) =>
        new(zeros(shape, dtype: dtype, device: device));

    /// <summary>All ones (learned scales that start neutral).</summary>
    public static Parameter Ones(long[] shape, ScalarType dtype, Device? device) =>
        new(ones(shape, dtype: dtype, device: device));

    /// <summary>Xavier/Glorot uniform bound <c>√(6 / (fanIn + fanOut))</c> of a <c>fanIn → fanOut</c> projection.</summary>
    public static double XavierBound(long fanIn, long fanOut) => Math.Sqrt(6.0 / (fanIn + fanOut));

    /// <summary>The bound <c>1/√fanIn</c> of <c>torch.nn.Linear</c>'s default (kaiming-uniform, a = √5) initialisation.</summary>
    public static double LinearBound(long fanIn) => 1.0 / Math.Sqrt(fanIn);

    /// <summary>Checks that a size is positive; the message names it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is zero or negative.</exception>
    public static void RequirePositive(long value, string what, string owner)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(what, value, $"{owner}: {what} must be positive, got {value}.");
    }

    private static Parameter Finish(Tensor values, ScalarType dtype, Device? device)
    {
        using var moved = values.to(dtype, device ?? CPU);
        return new Parameter(moved.clone());
    }
}
