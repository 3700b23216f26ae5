using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.TestSupport;

/// <summary>Tensor comparisons as the fixtures define them: ||actual - expected|| / ||expected|| over the whole tensor.</summary>
internal static class TensorAssert
{
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var a = actual.to(ScalarType.Float64);
        using var e = expected.to(ScalarType.Float64);
        using var diff = a - e;
        using var num = diff.norm();
        using var den = e.norm();
        return num.item<double>() / den.item<double>();
    }

    public static void Close(Tensor actual, Tensor expected, double tolerance, string what = "tensor")
    {
        double error = RelativeError(actual, expected);
        Assert.True(error <= tolerance, $"{what}: relative error {error:E3} exceeds {tolerance:E1}");
    }

    public static long[] Longs(Tensor t)
    {
        using var c = t.to(ScalarType.Int64).cpu().contiguous();
        return c.data<long>().ToArray();
    }
}
