using Dsdr.Core.Arms;
using Dsdr.Core.Method;
using Dsdr.Learning.Compute;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>
/// GSPO's sequence-level clipped objective (<see cref="Gspo.Loss"/>). The per-token loss it returns is the sequence's
/// loss on each of its tokens, so the arm's seq-mean-token-mean aggregation gives (1/N) Σ_i L_i; the gradient reaches
/// each token's log π_θ through s_i, scaled by 1/|y_i|.
/// </summary>
public sealed class GspoLoss : IPolicyLoss
{
    [Registered]
    public static IPolicyLoss Instance { get; } = new GspoLoss();

    public string Name => Gspo.Loss.Name;
    public string Description => Gspo.Loss.Description;

    // s_i = exp(clamp((1/|y_i|) Σ_t m_{i,t} (log π_θ − log π_old), −20, 20))   (|y_i| = Σ_t m_{i,t}, at least 1)
    public static Tensor SequenceRatio(Tensor logp, Tensor logpOld, Tensor mask)
    {
        LossChecks.RequireRank(logp, nameof(logp), 2, "[N sequences, T response tokens]");
        LossChecks.RequireSameShape(logpOld, nameof(logpOld), logp, nameof(logp));
        LossChecks.RequireSameShape(mask, nameof(mask), logp, nameof(logp));
        using var scope = NewDisposeScope();
        var m = mask.to_type(logp.dtype);
        var meanLogRatio = ((logp - logpOld) * m).sum(1).div(m.sum(1).clamp_min(Scalars.One));
        return meanLogRatio.clamp(PolicyGradientLoss.LowestLogRatio, PolicyGradientLoss.HighestLogRatio).exp().MoveToOuterDisposeScope();
    }

    // L_{i,t} = −min(s_i·A_i, clip(s_i, 1−ε_low, 1+ε_high)·A_i) for every token t of y_i;  dual-clip c: for A_i < 0, min(L, −c·A_i)
    public SurrogateResult PerToken(Tensor logp, Tensor logpOld, Tensor advantages, Tensor mask, PolicyLossConfig config)
    {
        PolicyGradientLoss.CheckClipRange(config.ClipLow, config.ClipHigh, config.DualClip);
        if (advantages.dim() != 1 || advantages.shape[0] != logp.shape[0])
            throw new ArgumentException($"advantages has shape [{string.Join(", ", advantages.shape)}]; GSPO weighs whole sequences, so give one advantage per sequence [{logp.shape[0]}].", nameof(advantages));
        using var scope = NewDisposeScope();
        var ratio = SequenceRatio(logp, logpOld, mask).unsqueeze(1).expand(logp.shape);
        var a = advantages.to_type(logp.dtype).unsqueeze(1);
        var result = PolicyGradientLoss.Clipped(ratio, a, mask, config.ClipLow, config.ClipHigh, config.DualClip);
        return result with { PerTokenLoss = result.PerTokenLoss.MoveToOuterDisposeScope() };
    }
}
