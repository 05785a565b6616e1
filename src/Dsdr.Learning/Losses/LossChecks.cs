using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>Shape and value checks shared by the loss functions, with messages that say what to pass instead.</summary>
internal static class LossChecks
{
    public static void RequireShape(Tensor tensor, string name, params long[] expected)
    {
        if (!tensor.shape.SequenceEqual(expected))
            throw new ArgumentException(
                $"{name} has shape [{string.Join(", ", tensor.shape)}]; expected [{string.Join(", ", expected)}].", name);
    }

    public static void RequireSameShape(Tensor tensor, string name, Tensor reference, string referenceName)
    {
        if (!tensor.shape.SequenceEqual(reference.shape))
            throw new ArgumentException(
                $"{name} has shape [{string.Join(", ", tensor.shape)}] but {referenceName} has [{string.Join(", ", reference.shape)}]; they must match.",
                name);
    }

    public static void RequireRank(Tensor tensor, string name, int rank, string layout)
    {
        if (tensor.dim() != rank)
            throw new ArgumentException(
                $"{name} has shape [{string.Join(", ", tensor.shape)}]; expected {layout}.", name);
    }

    public static void RequireFloating(Tensor tensor, string name)
    {
        if (!tensor.is_floating_point())
            throw new ArgumentException($"{name} has dtype {tensor.dtype}; expected a floating-point tensor (float32 or float64).", name);
    }

    /// <summary>Per-sequence quantities: [N] or, per token, [N, T] matching the mask; returned broadcastable against [N, T].</summary>
    public static Tensor AsPerToken(Tensor values, string name, Tensor mask)
    {
        if (values.dim() == 1 && values.shape[0] == mask.shape[0])
            return values.unsqueeze(1);
        if (values.shape.SequenceEqual(mask.shape))
            return values;
        throw new ArgumentException(
            $"{name} has shape [{string.Join(", ", values.shape)}]; expected one value per sequence [{mask.shape[0]}] or per token [{string.Join(", ", mask.shape)}].",
            name);
    }

    public static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number.");
    }
}
