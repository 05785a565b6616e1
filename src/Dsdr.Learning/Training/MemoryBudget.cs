using Dsdr.Core.Failures;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Model;

namespace Dsdr.Learning.Training;

/// <summary>
/// The run-time half of a trial's memory bound: before each generation (training rollouts, each benchmark's
/// evaluation) the trial's peak memory is estimated with Core's formulas (<see cref="TrialCostEstimate.AtRunTime"/>) from
/// what only the trainer knows — the loaded model's shape and the real token length of the prompts it is about to feed —
/// and a trial over its budget stops with a <see cref="TrialOutOfMemoryException"/> before it allocates.
/// </summary>
/// <remarks>
/// Why an estimate and not a measurement: slots of one process share its heap, so the process's resident memory cannot
/// be split between trials, and TorchSharp offers no per-thread count of libtorch's allocations. The trainer's tensors
/// are a function of (model shape, rows, sequence length), all known here exactly; the formulas are Core's, the same the
/// submission checked, and on the high side of what the trainer allocates. What the submission could not see (a math
/// task's prompts are in files; a checkpoint's config.json may be on another node) is what this adds.
/// </remarks>
public sealed class MemoryBudget
{
    private readonly TrialSpec _trial;
    private readonly TrainingConfig _config;
    private readonly ModelShape _shape;

    /// <param name="budgetGiB">The trial's reservation, its resources.memoryGiB.</param>
    public MemoryBudget(TrialSpec trial, TrainingConfig config, Qwen2Config model, double budgetGiB)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(model);
        if (!(budgetGiB > 0) || !double.IsFinite(budgetGiB))
            throw new ArgumentException($"The memory budget must be a positive number of GiB (resources.memoryGiB), got {budgetGiB}.", nameof(budgetGiB));
        _trial = trial;
        _config = config;
        _shape = ShapeOf(model);
        BudgetGiB = budgetGiB;
    }

    public double BudgetGiB { get; }

    /// <summary>The trial's peak memory with prompts of up to <paramref name="longestPromptTokens"/> tokens.</summary>
    public TrialCost Cost(int longestPromptTokens) => TrialCostEstimate.AtRunTime(_config, _trial, _shape, longestPromptTokens);

    /// <summary>Throws <see cref="TrialOutOfMemoryException"/> when prompts of up to <paramref name="longestPromptTokens"/> tokens do not fit.</summary>
    public void Check(int longestPromptTokens)
    {
        var cost = Cost(longestPromptTokens);
        if (cost.MemoryGiB is { } needed && needed > BudgetGiB)
            throw new TrialOutOfMemoryException(needed, BudgetGiB, LargestPart(cost));
    }

    /// <summary>The longest of <paramref name="prompts"/> in tokens (0 for none).</summary>
    public static int Longest(IEnumerable<IReadOnlyList<int>> prompts) => prompts.Select(p => p.Count).DefaultIfEmpty(0).Max();

    private string LargestPart(TrialCost cost)
    {
        var rows = _config.PromptsPerStep * _config.GroupSize;
        var parts = new (double GiB, string Text)[]
        {
            (cost.WeightsGiB + cost.OptimizerGiB, $"weights and optimizer {TrialCostEstimate.GiBText(cost.WeightsGiB + cost.OptimizerGiB)}"),
            (cost.RolloutGiB, $"rollout KV cache {TrialCostEstimate.GiBText(cost.RolloutGiB)} for {rows} sequences of {cost.SequenceTokens} tokens"),
            (cost.EvaluationGiB, $"evaluation KV cache {TrialCostEstimate.GiBText(cost.EvaluationGiB)} for sequences of {cost.SequenceTokens} tokens"),
            (cost.ActivationGiB, $"training activations {TrialCostEstimate.GiBText(cost.ActivationGiB)} for sequences of {cost.SequenceTokens} tokens"),
        };
        return parts.MaxBy(p => p.GiB).Text + $", the longest prompt being {cost.PromptTokens} tokens";
    }

    /// <summary>Core's shape of a loaded model's config.</summary>
    public static ModelShape ShapeOf(Qwen2Config model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var qwen3 = model as Qwen3Config;
        return new ModelShape(model.FamilyModelType, model.NumHiddenLayers, model.HiddenSize, model.NumAttentionHeads, model.NumKeyValueHeads,
            model.HeadDim, model.IntermediateSize, model.VocabSize, model.TieWordEmbeddings, QkvBias: qwen3?.AttentionBias ?? true, QkNorm: qwen3 is not null);
    }
}
