using System.Text.Json.Serialization;
using Dsdr.Core.Method;

namespace Dsdr.Core.Sweeps;

/// <summary>
/// Every hyper-parameter one trial needs. The defaults are the calibrated small-task values of the
/// Countdown prototype (issue 4: B = 16 × G = 8, 150 steps, lr 1e-4, 2 mini-batches, grad clip 1.0,
/// λ_d = 0.1, λ_ℓ = 0.01, τ = 5) and the spec's defaults elsewhere (σ_d = 1, ε = 1e-6, token-mean,
/// β = 0, clip-higher 0.2/0.28). <see cref="PaperDefaults"/> holds the paper's Appendix A values.
/// JSON names (camelCase) are listed in <see cref="HyperParameters"/>; grids and base overrides use them.
/// </summary>
[JsonConverter(typeof(TrainingConfigJsonConverter))]
public sealed record TrainingConfig
{
    /// <summary>The calibrated small-task defaults.</summary>
    public static TrainingConfig Default { get; } = new();

    /// <summary>The paper's Appendix A settings (batch 256 prompts, mini-batch 16, lr 1e-6, 4K responses, λ_d = λ_ℓ = 0.001).</summary>
    public static TrainingConfig PaperDefaults { get; } = new()
    {
        LearningRate = 1e-6,
        TotalSteps = 120,
        PromptsPerStep = 256,
        GroupSize = 8,
        MiniBatchesPerStep = 16,
        LambdaD = 0.001,
        LambdaL = 0.001,
        Tau = 5.0,
        MaxNewTokens = 4096,
        OverlongBufferLength = 1024,
    };

    /// <summary>AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Linear learning-rate warm-up, in optimiser steps.</summary>
    public int WarmupSteps { get; init; }
    /// <summary>RL training steps (one step = B prompts × G rollouts).</summary>
    public int TotalSteps { get; init; } = 150;
    /// <summary>B, prompts sampled per step.</summary>
    public int PromptsPerStep { get; init; } = 16;
    /// <summary>G, rollouts per prompt (≥ 2: a group of one has no advantage).</summary>
    public int GroupSize { get; init; } = 8;
    /// <summary>Mini-batches (optimiser updates per PPO epoch) a step's batch is split into.</summary>
    public int MiniBatchesPerStep { get; init; } = 2;
    /// <summary>PPO epochs over the step's batch.</summary>
    public int PpoEpochs { get; init; } = 1;
    /// <summary>Global gradient-norm clip.</summary>
    public double GradClip { get; init; } = 1.0;
    /// <summary>ε_low: the ratio is clipped below at 1 − ε_low.</summary>
    public double ClipLow { get; init; } = 0.2;
    /// <summary>ε_high: the ratio is clipped above at 1 + ε_high (clip-higher: 0.28).</summary>
    public double ClipHigh { get; init; } = 0.28;
    /// <summary>Dual-clip c (&gt; 1) bounding the loss of negative-advantage tokens; null = off.</summary>
    public double? DualClip { get; init; }
    /// <summary>The per-token policy-gradient loss, by name (<see cref="MethodRegistries.PolicyLosses"/>).</summary>
    public string PolicyLoss { get; init; } = BuiltInParts.PpoClip;
    /// <summary>How token losses are aggregated, by name (<see cref="MethodRegistries.LossAggregations"/>).</summary>
    public string LossAggregation { get; init; } = Sweeps.LossAggregation.TokenMean;
    /// <summary>β, weight of the KL penalty to the reference policy; 0 = off (no reference model loaded).</summary>
    public double KlBeta { get; init; }
    /// <summary>KL estimator used when β &gt; 0.</summary>
    public KlEstimator KlEstimator { get; init; } = KlEstimator.K3;
    /// <summary>λ_d, weight of the correct-only diversity bonus (GD).</summary>
    public double LambdaD { get; init; } = 0.1;
    /// <summary>λ_ℓ, weight of the entropy term (DSDR's local positive-sample entropy unless <see cref="EntropyTerm"/> says otherwise).</summary>
    public double LambdaL { get; init; } = 0.01;
    /// <summary>The entropy term J weighted by λ_ℓ, by name (<see cref="MethodRegistries.EntropyTerms"/>).</summary>
    public string EntropyTerm { get; init; } = BuiltInParts.LocalPositiveEntropy;
    /// <summary>τ, coupling-softmax temperature (GC); 0 = uniform weights over correct rollouts.</summary>
    public double Tau { get; init; } = 5.0;
    /// <summary>σ_d, upper clip of the diversity score, in (0, 1].</summary>
    public double SigmaD { get; init; } = 1.0;
    /// <summary>ε added to the group std in the advantage.</summary>
    public double Epsilon { get; init; } = 1e-6;
    /// <summary>Neighbours of the semantic score: whole group (default) or correct-only.</summary>
    public SemanticNeighbours SemanticNeighbours { get; init; } = SemanticNeighbours.Group;
    /// <summary>true: A = (r̃ − mean)/(std + ε); false: A = r̃ − mean (for the "grpo" estimator).</summary>
    public bool StdNormalize { get; init; } = true;
    /// <summary>The estimator of A from r̃, by name (<see cref="MethodRegistries.AdvantageEstimators"/>).</summary>
    public string AdvantageEstimator { get; init; } = BuiltInParts.GroupNormalised;
    /// <summary>DAPO dynamic sampling: drop groups whose rewards are all 0 or all 1 and generate more.</summary>
    public bool DynamicSampling { get; init; }
    /// <summary>Cap on generation rounds per step when dynamic sampling refills the batch.</summary>
    public int MaxGenerationRounds { get; init; } = 4;
    /// <summary>DAPO overlong-buffer length penalty on.</summary>
    public bool OverlongBuffer { get; init; }
    /// <summary>Length of the soft-penalty zone before <see cref="MaxNewTokens"/>, in tokens.</summary>
    public int OverlongBufferLength { get; init; } = 6;
    /// <summary>Penalty at the hard limit (linear from 0 at the buffer's start).</summary>
    public double OverlongPenaltyFactor { get; init; } = 1.0;
    /// <summary>Sampling temperature during training rollouts.</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Maximum generated tokens per rollout.</summary>
    public int MaxNewTokens { get; init; } = 24;
    /// <summary>Recompute each decoder layer's activations in the backward pass instead of keeping them (same gradients, less memory, ~⅓ more compute).</summary>
    public bool GradientCheckpointing { get; init; }
    /// <summary>
    /// Token budget of one training forward: a mini-batch's groups, sorted by length, are packed into micro-batches of
    /// at most this many padded tokens (rows × width; a group longer than the budget goes alone) whose gradients are
    /// accumulated into one update. 0 = the whole mini-batch in one forward.
    /// </summary>
    public int MaxTokensPerMicroBatch { get; init; }
    /// <summary>fp32 (default) or bf16 forward/backward with float32 master weights and AdamW state (<see cref="Sweeps.Precision"/>).</summary>
    public Precision Precision { get; init; }
    /// <summary>Seed of the trial (initial sampling, data order, dropout).</summary>
    public int Seed { get; init; }

    /// <summary>The reward-side projection used by Core's group scoring.</summary>
    public ScoringConfig ToScoringConfig() => new(LambdaD, Tau, SigmaD, Epsilon, StdNormalize, SemanticNeighbours, AdvantageEstimator);
}
