using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Compute;

/// <summary>
/// The constant Scalars the learner passes to TorchSharp, alive as long as the process, and one-element tensors read
/// as numbers. TorchSharp reads a Scalar's native handle without keeping the managed Scalar alive, and a Scalar's
/// finalizer frees that handle: a Scalar nothing holds (an implicit conversion, <c>x.add_(1e-6)</c>) can be freed by a
/// collection another trial's thread starts while libtorch still reads it (issue 19). So every Scalar is a field here
/// or of its owner, a parameter, or a <c>using var s = value.ToScalar();</c> local; Dsdr.Analyzers checks it.
/// </summary>
public static class Scalars
{
    public static readonly Scalar Zero;
    public static readonly Scalar One;
    public static readonly Scalar Half;
    public static readonly Scalar NegativeInfinity;
    /// <summary>Integer 0 and 1, for integer tensors (a floating Scalar would promote them or be refused).</summary>
    public static readonly Scalar IntegerZero;
    public static readonly Scalar IntegerOne;

    static Scalars()
    {
        InitializeDeviceType(DeviceType.CPU);   // libtorch is loaded before the first Scalar is made (as TorchSharp's own Scalar code does)
        Zero = 0.0.ToScalar();
        One = 1.0.ToScalar();
        Half = 0.5.ToScalar();
        NegativeInfinity = double.NegativeInfinity.ToScalar();
        IntegerZero = 0L.ToScalar();
        IntegerOne = 1L.ToScalar();
    }

    /// <summary>start, start + step, … below stop as int64 on <paramref name="device"/>: arange with every Scalar held.</summary>
    public static Tensor Arange(long start, long stop, Device device, long step = 1)
    {
        using var from = start.ToScalar();
        using var to = stop.ToScalar();
        using var by = step.ToScalar();
        return arange(from, to, by, ScalarType.Int64, device);
    }

    /// <summary>A Scalar for a static readonly field of its user (libtorch loaded first).</summary>
    public static Scalar Constant(double value) => value.ToScalar();

    /// <summary>
    /// The number in a one-element tensor of any floating or integer dtype, on any device, read through data&lt;T&gt;()
    /// (<c>Tensor.ToDouble()</c> reads it through a Scalar that nothing holds).
    /// </summary>
    public static double ValueOf(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var value = tensor.detach();
        return value.dtype == ScalarType.Float64 ? value.item<double>() : value.to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>The integer in a one-element integer tensor (see <see cref="ValueOf"/>).</summary>
    public static long IntegerValueOf(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var value = tensor.detach();
        return value.dtype == ScalarType.Int64 ? value.item<long>() : value.to_type(ScalarType.Int64).item<long>();
    }
}
