using Dsdr.Core.Arms;
using Dsdr.Core.Method;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>Dr. GRPO's aggregation (<see cref="DrGrpo.ConstantLength"/>): every token weighs 1/(N·L_max), whatever its sequence's length.</summary>
public sealed class ConstantLengthAggregation : ILossAggregation
{
    [Registered]
    public static ILossAggregation Instance { get; } = new ConstantLengthAggregation();

    public string Name => DrGrpo.ConstantLength.Name;
    public string Description => DrGrpo.ConstantLength.Description;

    // L = (1/N) Σ_n Σ_t m_{n,t} L_{n,t} / L_max   (N: the mini-batch's sequences when micro-batching)
    public Tensor Aggregate(Tensor perToken, Tensor mask, MiniBatchTotals? totals, int maxResponseTokens)
    {
        if (maxResponseTokens < 1)
            throw new ArgumentOutOfRangeException(nameof(maxResponseTokens), maxResponseTokens,
                $"{Name} divides by L_max, the generation limit: give it (PolicyLossConfig.MaxResponseTokens = maxNewTokens ≥ 1).");
        if (perToken.shape[1] > maxResponseTokens)
            throw new ArgumentException($"perToken has {perToken.shape[1]} response tokens, more than L_max = {maxResponseTokens}; L_max must be the generation limit.", nameof(perToken));
        return LossAggregation.DivideBy((perToken * mask).sum(), (totals?.Sequences ?? perToken.shape[0]) * (double)maxResponseTokens);
    }
}
