using Dsdr.Core.Arms;
using Dsdr.Core.Method;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>
/// The classic entropy bonus (<see cref="EntropyBonus.Term"/>): the policy's full-vocabulary token entropy with its
/// gradient, aggregated like the policy loss. Needs the [N, T, V] softmax in the graph (verl's entropy_coeff does the same).
/// </summary>
public sealed class TokenEntropyBonus : IEntropyTerm
{
    [Registered]
    public static IEntropyTerm Instance { get; } = new TokenEntropyBonus();

    public string Name => EntropyBonus.Term.Name;
    public string Description => EntropyBonus.Term.Description;

    // J = agg_{n,t} H_{n,t},  H_{n,t} = −Σ_v π_θ(v) · log π_θ(v)   (softmax of the logits, with gradient)
    public Tensor Compute(EntropyTermInputs inputs)
    {
        LossChecks.RequireRank(inputs.Logits, nameof(inputs.Logits), 3, "[N sequences, T response tokens, V vocabulary]");
        using var scope = NewDisposeScope();
        var logProbabilities = inputs.Logits.log_softmax(2);
        var entropy = -(logProbabilities.exp() * logProbabilities).sum(2).to_type(inputs.LogProbs.dtype);
        return LossAggregation.Aggregate(entropy, inputs.Mask, inputs.Config.Aggregation, inputs.Totals, inputs.Config.MaxResponseTokens)
            .MoveToOuterDisposeScope();
    }
}
