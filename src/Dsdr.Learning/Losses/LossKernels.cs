using Dsdr.Core.Method;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>The tensor form of a registered policy loss (<see cref="PolicyLossInfo"/>, same name).</summary>
public interface IPolicyLoss : IRegistered
{
    /// <summary>
    /// Per-token loss [N, T] (with gradient) and its clip statistics. <paramref name="advantages"/> is [N] or [N, T];
    /// the mask only feeds the statistics (and sequence-level ratios); aggregation comes after.
    /// </summary>
    SurrogateResult PerToken(Tensor logp, Tensor logpOld, Tensor advantages, Tensor mask, PolicyLossConfig config);
}

/// <summary>The tensor form of a registered loss aggregation (<see cref="LossAggregationInfo"/>, same name).</summary>
public interface ILossAggregation : IRegistered
{
    /// <summary>
    /// One scalar from a per-token loss [N, T] and its mask (already checked and of the loss's dtype). With
    /// <paramref name="totals"/> (a mini-batch split into micro-batches) it normalises by the mini-batch's counts, so the
    /// micro-batch losses sum to the mini-batch's; else by this batch's own. <paramref name="maxResponseTokens"/> is
    /// L_max, the generation limit.
    /// </summary>
    Tensor Aggregate(Tensor perToken, Tensor mask, MiniBatchTotals? totals, int maxResponseTokens);
}

/// <summary>
/// What an entropy term may read. With λ_ℓ = 0 the loss passes detached logits and log-probs (the term is then only
/// logged); <see cref="Totals"/> as in <see cref="ILossAggregation.Aggregate"/>.
/// </summary>
/// <param name="Logits">[N, T, V] policy logits of the response tokens.</param>
/// <param name="LogProbs">[N, T] log π_θ of the sampled tokens.</param>
/// <param name="Mask">[N, T] response mask in the log-probs' dtype.</param>
public sealed record EntropyTermInputs(Tensor Logits, Tensor LogProbs, Tensor Mask, PolicyLossBatch Batch, MiniBatchTotals? Totals, PolicyLossConfig Config);

/// <summary>The tensor form of a registered entropy term (<see cref="EntropyTermInfo"/>, same name): J, maximised as +λ_ℓ·J.</summary>
public interface IEntropyTerm : IRegistered
{
    Tensor Compute(EntropyTermInputs inputs);
}

/// <summary>
/// The loss kernels, found in Learning (every <see cref="RegisteredAttribute"/> property of a kernel type), one for each
/// name Core's <see cref="MethodRegistries"/> declare.
/// </summary>
public static class LossKernels
{
    private static readonly Lazy<Registry<IPolicyLoss>> policyLosses = new(() => Discover<IPolicyLoss>("policy loss"));
    private static readonly Lazy<Registry<ILossAggregation>> aggregations = new(() => Discover<ILossAggregation>("loss aggregation"));
    private static readonly Lazy<Registry<IEntropyTerm>> entropyTerms = new(() => Discover<IEntropyTerm>("entropy term"));

    public static Registry<IPolicyLoss> PolicyLosses => policyLosses.Value;
    public static Registry<ILossAggregation> Aggregations => aggregations.Value;
    public static Registry<IEntropyTerm> EntropyTerms => entropyTerms.Value;

    /// <summary>Names Core declares without a kernel here, and kernels here without a declaration in Core (both empty when all is well).</summary>
    public static IReadOnlyList<string> Mismatches() =>
    [
        .. Mismatch("policy loss", MethodRegistries.PolicyLosses.Names, PolicyLosses.Names),
        .. Mismatch("loss aggregation", MethodRegistries.LossAggregations.Names, Aggregations.Names),
        .. Mismatch("entropy term", MethodRegistries.EntropyTerms.Names, EntropyTerms.Names),
    ];

    private static IEnumerable<string> Mismatch(string kind, IReadOnlyList<string> declared, IReadOnlyList<string> implemented) =>
        declared.Except(implemented).Select(n => $"{kind} \"{n}\" is declared in Core but has no kernel in Learning")
            .Concat(implemented.Except(declared).Select(n => $"{kind} \"{n}\" has a kernel in Learning but no declaration in Core"));

    private static Registry<T> Discover<T>(string kind) where T : class, IRegistered =>
        Registry<T>.Discover(kind, typeof(LossKernels).Assembly);
}

/// <summary>The kernels of <see cref="BuiltInParts"/>: the clipped surrogate, the three aggregations, DSDR's local entropy.</summary>
public static class BuiltInKernels
{
    [Registered(Order = 0)]
    public static IPolicyLoss ClippedSurrogate { get; } = new ClippedSurrogateLoss();

    [Registered(Order = 0)]
    public static ILossAggregation TokenMean { get; } = new Aggregation(BuiltInParts.TokenMean,
        (loss, m, totals, _) => LossAggregation.TokenMean(loss, m, totals?.Tokens));

    [Registered(Order = 1)]
    public static ILossAggregation SeqMeanTokenMean { get; } = new Aggregation(BuiltInParts.SeqMeanTokenMean,
        (loss, m, totals, _) => LossAggregation.SeqMeanTokenMean(loss, m, totals?.Sequences));

    [Registered(Order = 2)]
    public static ILossAggregation SeqMeanTokenSum { get; } = new Aggregation(BuiltInParts.SeqMeanTokenSum,
        (loss, m, totals, _) => LossAggregation.SeqMeanTokenSum(loss, m, totals?.Sequences));

    [Registered(Order = 0)]
    public static IEntropyTerm LocalPositiveEntropy { get; } = new LocalEntropy();

    private sealed class ClippedSurrogateLoss : IPolicyLoss
    {
        public string Name => BuiltInParts.ClippedSurrogate.Name;
        public string Description => BuiltInParts.ClippedSurrogate.Description;

        public SurrogateResult PerToken(Tensor logp, Tensor logpOld, Tensor advantages, Tensor mask, PolicyLossConfig config) =>
            PolicyGradientLoss.ClippedSurrogate(logp, logpOld, advantages, mask, config.ClipLow, config.ClipHigh, config.DualClip);
    }

    private sealed class Aggregation(LossAggregationInfo info, Func<Tensor, Tensor, MiniBatchTotals?, int, Tensor> aggregate) : ILossAggregation
    {
        public string Name => info.Name;
        public string Description => info.Description;
        public Tensor Aggregate(Tensor perToken, Tensor mask, MiniBatchTotals? totals, int maxResponseTokens) => aggregate(perToken, mask, totals, maxResponseTokens);
    }

    private sealed class LocalEntropy : IEntropyTerm
    {
        public string Name => BuiltInParts.LocalEntropy.Name;
        public string Description => BuiltInParts.LocalEntropy.Description;

        public Tensor Compute(EntropyTermInputs x) => x.Totals is null
            ? LocalEntropyTerm.Compute(x.LogProbs, x.Batch.OldLogProbs, x.Mask, x.Batch.CouplingWeights, x.Batch.GroupIndex)
            : LocalEntropyTerm.Compute(x.LogProbs, x.Batch.OldLogProbs, x.Mask, x.Batch.CouplingWeights, x.Totals.Prompts);
    }
}
