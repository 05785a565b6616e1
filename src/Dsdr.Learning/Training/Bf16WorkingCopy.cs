using Dsdr.Learning.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsdr.Learning.Training;

/// <summary>
/// Mixed precision for <c>precision: bf16</c>: a bfloat16 copy of a float32 policy runs the forward and backward passes;
/// the float32 policy holds the master weights that the optimiser steps (with float32 AdamW moments) and checkpoints save.
/// Per update: the working copy's bf16 gradients are widened onto the masters, the optimiser steps the masters, and the
/// working copy is refreshed from them (rounded to nearest bf16), so rounding never accumulates in the weights.
/// </summary>
public sealed class Bf16WorkingCopy : IDisposable
{
    private readonly (Parameter Master, Parameter Working)[] pairs;

    private Bf16WorkingCopy(Qwen2ForCausalLM master, Qwen2ForCausalLM working)
    {
        Master = master;
        Working = working;
        var byName = working.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        pairs = master.named_parameters().Select(p => (p.parameter, byName[p.name])).ToArray();
    }

    /// <summary>The float32 model given: the master weights.</summary>
    public Qwen2ForCausalLM Master { get; }

    /// <summary>Its bfloat16 copy, on the same device: sampling, the training forward/backward and evaluation run on it.</summary>
    public Qwen2ForCausalLM Working { get; }

    /// <summary>A bf16 working copy of <paramref name="master"/>, whose parameters must be float32.</summary>
    public static Bf16WorkingCopy Of(Qwen2ForCausalLM master)
    {
        ArgumentNullException.ThrowIfNull(master);
        var first = master.parameters().First();
        if (first.dtype != ScalarType.Float32)
            throw new ArgumentException($"precision bf16 keeps float32 master weights, but the policy's weights are {first.dtype}; load the checkpoint as float32 (CheckpointLoadOptions.DType = Float32).", nameof(master));
        var working = Qwen2ForCausalLM.Create(master.Config);
        working.to(first.device);
        working.to(ScalarType.BFloat16);
        var copy = new Bf16WorkingCopy(master, working);
        copy.Refresh();
        return copy;
    }

    /// <summary>Zeroes the working copy's gradients (the masters' are overwritten by <see cref="GradientsToMasters"/>).</summary>
    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();
        foreach (var (_, working) in pairs) working.grad?.zero_();
    }

    // g_master = float32(g_working)
    /// <summary>Widens each working gradient to float32 onto its master (a parameter without a gradient gets none).</summary>
    public void GradientsToMasters()
    {
        using var noGrad = no_grad();
        foreach (var (master, working) in pairs)
        {
            var grad = working.grad;
            if (grad is null) { if (master.grad is not null) master.grad = null; continue; }
            if (master.grad is { } existing) existing.copy_(grad);
            else master.grad = grad.to(ScalarType.Float32).DetachFromDisposeScope();
        }
    }

    // w_working = bf16(w_master), round to nearest even
    /// <summary>Copies the master weights into the working copy (after each optimiser step and after a resume).</summary>
    public void Refresh()
    {
        using var noGrad = no_grad();
        foreach (var (master, working) in pairs) working.copy_(master);
    }

    public void Dispose() => Working.Dispose();
}
