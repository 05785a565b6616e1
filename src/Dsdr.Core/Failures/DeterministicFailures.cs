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
        $"Training diverged: the loss became {FormatLoss(loss)} at update {update}; lower the learning rate{(learningRate is { } lr ? $" (rl.learningRate, now {lr:G3})" : " (rl.learningRate)")} or check the training data.")
{
    public double Loss { get; } = loss;
    public int Update { get; } = update;
    public double? LearningRate { get; } = learningRate;

    private static string FormatLoss(double loss) => double.IsNaN(loss) ? "NaN" : loss > 0 ? "+∞" : "−∞";
}
