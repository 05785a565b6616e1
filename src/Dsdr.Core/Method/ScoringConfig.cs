namespace Dsdr.Core.Method;

/// <summary>Which rollouts count as neighbours in the semantic score D_emb (spec §1).</summary>
public enum SemanticNeighbours
{
    /// <summary>All other rollouts of the group (the paper's Eq. 6).</summary>
    Group,
    /// <summary>Only the other correct rollouts (the paper's figure).</summary>
    CorrectOnly,
}

/// <summary>The reward-side knobs of DSDR (spec §1–§3); defaults are the spec's.</summary>
/// <param name="LambdaD">λ_d, weight of the correct-only diversity bonus.</param>
/// <param name="Tau">τ, temperature of the coupling softmax; 0 gives uniform weights.</param>
/// <param name="SigmaD">σ_d, upper clip of the diversity score, in (0, 1].</param>
/// <param name="Epsilon">ε added to the group std in the advantage.</param>
/// <param name="StdNormalize">true: A = (r̃ − mean)/(std + ε); false: A = r̃ − mean.</param>
/// <param name="SemanticNeighbours">whole group (default) or correct-only neighbours.</param>
/// <param name="AdvantageEstimator">name of the <see cref="IAdvantageEstimator"/> that turns r̃ into A (<see cref="MethodRegistries.AdvantageEstimators"/>).</param>
public sealed record ScoringConfig(
    double LambdaD = 0.001,
    double Tau = 5.0,
    double SigmaD = 1.0,
    double Epsilon = 1e-6,
    bool StdNormalize = true,
    SemanticNeighbours SemanticNeighbours = SemanticNeighbours.Group,
    string AdvantageEstimator = BuiltInParts.GroupNormalised)
{
    /// <summary>A_i of one group's (shaped) rewards by the configured estimator.</summary>
    public double[] Advantages(IReadOnlyList<double> rewards) => MethodRegistries.AdvantageEstimators.Get(AdvantageEstimator).Estimate(rewards, this);
}
