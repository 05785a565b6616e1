using Dsdr.Core.Sweeps;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Model;

namespace Dsdr.Learning.Training;

/// <summary>Evaluates the policy at a step (held-out Pass@1, Avg@k, pass@k, diversity); see Dsdr.Learning.Evaluation.Evaluator.</summary>
public delegate EvalReport PolicyEvaluation(Qwen2ForCausalLM policy, int step, CancellationToken cancellationToken);

/// <summary>
/// How a <see cref="Trainer"/> runs one trial.
/// </summary>
/// <param name="Config">The resolved trial config (arm pins applied, e.g. <see cref="ArmPresets.Apply"/> or a <see cref="TrialSpec"/>'s).</param>
/// <param name="CheckpointFolder">Where checkpoints go (one sub-folder per step); null = none.</param>
/// <param name="CheckpointEverySteps">Save every N steps (0 = only when the run ends or is cancelled).</param>
/// <param name="KeepCheckpoints">How many of the newest checkpoints to keep (≥ 1).</param>
/// <param name="Evaluate">Held-out evaluation; null = none.</param>
/// <param name="EvalEverySteps">Evaluate every N steps (0 = only at the end); the last step is always evaluated.</param>
/// <param name="EvalAtStart">Evaluate the starting policy (step 0, the backbone) before training.</param>
/// <param name="Sinks">Receivers of metrics, group records, evaluations and checkpoint notices.</param>
/// <param name="WeightDecay">AdamW's decoupled weight decay (PyTorch's default 0.01).</param>
/// <param name="SemanticSimilarityEverySteps">For arms whose update ignores d (<see cref="ArmBehaviour.UsesDiversity"/>): embed the rollouts, and so log
/// the semantic similarity and record d, only every N steps (1 = every step). Arms that use d embed every step.</param>
/// <param name="Memory">The trial's memory budget, checked before each generation round; null = none.</param>
public sealed record TrainerOptions(
    TrainingConfig Config,
    string? CheckpointFolder = null,
    int CheckpointEverySteps = 0,
    int KeepCheckpoints = 2,
    PolicyEvaluation? Evaluate = null,
    int EvalEverySteps = 0,
    bool EvalAtStart = false,
    IReadOnlyList<ITrainingSink>? Sinks = null,
    double WeightDecay = 0.01,
    int SemanticSimilarityEverySteps = 10,
    MemoryBudget? Memory = null)
{
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Config);
        if (CheckpointEverySteps < 0) throw new ArgumentException($"CheckpointEverySteps must be ≥ 0 (0 = at the end only), got {CheckpointEverySteps}.");
        if (KeepCheckpoints < 1) throw new ArgumentException($"KeepCheckpoints must be ≥ 1, got {KeepCheckpoints}.");
        if (EvalEverySteps < 0) throw new ArgumentException($"EvalEverySteps must be ≥ 0 (0 = at the end only), got {EvalEverySteps}.");
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay))) throw new ArgumentException($"WeightDecay must be a finite number ≥ 0, got {WeightDecay}.");
        if (SemanticSimilarityEverySteps < 1) throw new ArgumentException($"SemanticSimilarityEverySteps must be ≥ 1, got {SemanticSimilarityEverySteps}.");
        if (Config.GroupSize < 2) throw new ArgumentException($"Config.GroupSize (G) must be ≥ 2, got {Config.GroupSize}: a group of one has no advantage.");
        if (Config.PromptsPerStep < 1) throw new ArgumentException($"Config.PromptsPerStep (B) must be ≥ 1, got {Config.PromptsPerStep}.");
        if (Config.MiniBatchesPerStep < 1) throw new ArgumentException($"Config.MiniBatchesPerStep must be ≥ 1, got {Config.MiniBatchesPerStep}.");
        if (Config.PpoEpochs < 1) throw new ArgumentException($"Config.PpoEpochs must be ≥ 1, got {Config.PpoEpochs}.");
        if (Config.MaxNewTokens < 1) throw new ArgumentException($"Config.MaxNewTokens must be ≥ 1, got {Config.MaxNewTokens}.");
        if (!(Config.LearningRate > 0)) throw new ArgumentException($"Config.LearningRate must be > 0, got {Config.LearningRate}.");
        if (!(Config.GradClip > 0)) throw new ArgumentException($"Config.GradClip must be > 0, got {Config.GradClip}.");
        if (Config.OverlongBuffer && Config.OverlongBufferLength >= Config.MaxNewTokens)
            throw new ArgumentException($"Config.OverlongBufferLength ({Config.OverlongBufferLength}) must be < MaxNewTokens ({Config.MaxNewTokens}) when the overlong buffer is on.");
    }
}

/// <summary>How a <see cref="Trainer.Run"/> ended.</summary>
/// <param name="Steps">Steps completed (including those before a resume).</param>
/// <param name="Cancelled">The token was cancelled before <see cref="TrainingConfig.TotalSteps"/> were done.</param>
/// <param name="LastCheckpoint">The newest checkpoint folder written, if any.</param>
/// <param name="FinalEval">The last evaluation, if any.</param>
public sealed record TrainingSummary(int Steps, bool Cancelled, string? LastCheckpoint, EvalReport? FinalEval, double Seconds);
