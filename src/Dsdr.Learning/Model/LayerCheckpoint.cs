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

    /// <summary>layer(input), with the layer's intermediate activations freed at once and recomputed in backward.</summary>
    public static Tensor Apply(Tensor input, Func<Tensor, Tensor> layer) => apply(input, layer);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var layer = (Func<Tensor, Tensor>)vars[1];
        ctx.save_for_backward([input]);
        ctx.save_data(LayerKey, layer);
        return layer(input);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var layer = (Func<Tensor, Tensor>)ctx.get_data(LayerKey);
        var saved = ctx.get_saved_variables()[0];
        using var grad = enable_grad();
        var input = saved.detach().requires_grad_(true);
        var output = layer(input);
        output.backward([gradOutput]);
        return [input.grad!];
    }
}
