using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Losses;

internal static class T
{
    /// <summary>float64 tensor of the given shape from row-major values.</summary>
    public static Tensor D(double[] values, params long[] shape) =>
        tensor(values, shape, ScalarType.Float64);

    /// <summary>float64 leaf tensor that records gradients.</summary>
    public static Tensor Leaf(double[] values, params long[] shape) =>
        tensor(values, shape, ScalarType.Float64).requires_grad_(true);

    public static Tensor L(long[] values, params long[] shape) => tensor(values, shape, ScalarType.Int64);

    public static double[] Values(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    public static void Close(double expected, double actual, double tolerance = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected:R}, got {actual:R} (tolerance {tolerance})");

    public static void Close(double[] expected, Tensor actual, double tolerance = 1e-12) => Close(expected, Values(actual), tolerance);

    public static void Close(double[] expected, double[] actual, double tolerance = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance})");
    }

    /// <summary>log-probabilities π_old such that ρ = exp(logp − logpOld) equals the given ratios.</summary>
    public static double[] OldFor(double[] logp, double[] ratios) =>
        logp.Select((l, i) => l - Math.Log(ratios[i])).ToArray();

    /// <summary>Central finite differences of a scalar function of a float64 tensor, element by element.</summary>
    public static double[] FiniteDifferenceGradient(Func<Tensor, double> f, double[] at, long[] shape, double h = 1e-6)
    {
        var gradient = new double[at.Length];
        for (var i = 0; i < at.Length; i++)
        {
            var plus = (double[])at.Clone();
            var minus = (double[])at.Clone();
            plus[i] += h;
            minus[i] -= h;
            using var scope = NewDisposeScope();
            gradient[i] = (f(D(plus, shape)) - f(D(minus, shape))) / (2 * h);
        }
        return gradient;
    }
}
