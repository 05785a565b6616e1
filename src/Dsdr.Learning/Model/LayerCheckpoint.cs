using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Model;

/// <summary>
/// Gradient checkpointing of one decoder layer: the forward runs without a graph and keeps only the layer's input;
/// the backward runs the layer again on that input with a graph and back-propagates through it, which accumulates the
/// layer's parameter gradients in place and returns the input's gradient. Same gradients, one extra layer forward.
/// </summary>
internal sealed class LayerCheckpoint : autograd.SingleTensorFunction<LayerCheckpoint>
{
    private const string LayerKey = "layer";

    public override string Name => nameof(LayerCheckpoint);

    /// <summary>
    /// layer(input, context), with the layer's intermediate activations freed at once and recomputed in backward.
    /// <paramref name="context"/>: tensors the layer reads but does not differentiate (rotary tables, attention mask);
    /// they are kept by the graph, since the caller's dispose scope ends before the backward runs.
    /// </summary>
    public static Tensor Apply(Tensor input, Tensor[] context, Func<Tensor, Tensor[], Tensor> layer) => apply(input, context, layer);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var context = (Tensor[])vars[1];
        var layer = (Func<Tensor, Tensor[], Tensor>)vars[2];
        ctx.save_for_backward([input, .. context]);
        ctx.save_data(LayerKey, layer);
        // the layer's intermediates die here, not when the caller's scope ends (which would keep every layer's)
        using var scope = NewDisposeScope();
        return layer(input, context).MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var layer = (Func<Tensor, Tensor[], Tensor>)ctx.get_data(LayerKey);
        var saved = ctx.get_saved_variables();
        using var grad = enable_grad();
        using var scope = NewDisposeScope();
        var input = saved[0].detach().requires_grad_(true);
        var output = layer(input, saved.Skip(1).ToArray());
        output.backward([gradOutput]);
        return [input.grad!.MoveToOuterDisposeScope(), null!, null!];   // one entry per argument of Apply; context and layer take none
    }
}
