namespace Dsdr.Core.Failures;

/// <summary>
/// A failure that would happen again on any node from the same spec and data (divergence, bad data, bad config):
/// the platform does not retry it. <see cref="Exception.Message"/> is the one sentence shown to API callers — what
/// happened and what to change — so it names spec fields, never server paths or native traces.
/// </summary>
public class DeterministicFailureException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The training loss stopped being a finite number: the run diverged.</summary>
/// <param name="LearningRate">The configured peak learning rate, when the thrower knows it.</param>
public sealed class TrainingDivergedException(double loss, int update, double? learningRate)
    : DeterministicFailureException(
        $"Training diverged: the loss became {FormatLoss(loss)} at update {update}; lower the learning rate{(learningRate is { } lr ? $" (base.learningRate, now {lr:G3})" : " (base.learningRate)")} or check the training data.")
{
    public double Loss { get; } = loss;
    public int Update { get; } = update;
    public double? LearningRate { get; } = learningRate;

    private static string FormatLoss(double loss) => double.IsNaN(loss) ? "NaN" : loss > 0 ? "+∞" : "−∞";
}

/// <summary>
/// The trial would need more memory than it reserved (resources.memoryGiB): found at run time, before the allocation,
/// from what the trainer then knows (the model's real shape, the prompts' real lengths), so it fails alone, at once.
/// </summary>
/// <param name="NeededGiB">The trial's peak memory estimate.</param>
/// <param name="BudgetGiB">What it reserved.</param>
/// <param name="Largest">The largest part of the estimate, e.g. "activations 3.1 GiB for 16 sequences of 5000 tokens".</param>
public sealed class TrialOutOfMemoryException(double neededGiB, double budgetGiB, string largest)
    : DeterministicFailureException(
        $"The trial needs ~{Sweeps.TrialCostEstimate.GiBText(neededGiB)}, over its {Sweeps.TrialCostEstimate.GiBText(budgetGiB)} budget (resources.memoryGiB; " +
        $"largest part: {largest}); lower base.groupSize, base.promptsPerStep or base.maxNewTokens (or turn on base.gradientCheckpointing), or raise resources.memoryGiB.")
{
    public double NeededGiB { get; } = neededGiB;
    public double BudgetGiB { get; } = budgetGiB;
}

/// <summary>A file the trial reads has left the platform's data roots since the submission (a symbolic link planted later).</summary>
/// <param name="field">The spec field that names the file, e.g. "$.task.trainPath".</param>
/// <param name="problem">The refusal the submission would have given (<see cref="Sweeps.SpecPaths.ProblemReading"/>).</param>
public sealed class OutsideDataRootsException(string field, string problem) : DeterministicFailureException($"{field}: {problem}.")
{
    public string Field { get; } = field;
}
