using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Data;

namespace Dsdr.Learning.Sft;

/// <summary>A supervised example: the prompt and one correct response (the loss covers the response and EOS).</summary>
public sealed record SftExample(string Prompt, string Response);

/// <summary>
/// The synthetic tasks of a <see cref="TaskSpec"/>: their generator configurations, train and held-out problems, and
/// correct responses to train on. Countdown defaults to the compact prompt ("3 5 8=64:"); arith has only the verbose one.
/// </summary>
public static class SyntheticTasks
{
    /// <summary>
    /// The Countdown generator of a task spec: numbers, ranges, how targets are chosen (<see cref="TargetChoice.UniformReachable"/>:
    /// many targets then have one solution; <see cref="TargetChoice.ByExpressions"/>: weighted like a random expression's
    /// value, more multi-solution problems) and the fewest distinct solutions a problem must have.
    /// </summary>
    public static CountdownConfig Countdown(TaskSpec task) =>
        new(Count: task.Numbers, MinNumber: task.NumberRange.Min, MaxNumber: task.NumberRange.Max,
            MinTarget: task.TargetRange.Min, MaxTarget: task.TargetRange.Max, Targets: task.Targets, MinSolutions: task.MinSolutions);

    public static ArithConfig Arith(TaskSpec task) =>
        new(Terms: task.Operands, MinFactor: task.NumberRange.Min, MaxFactor: task.NumberRange.Max);

    /// <summary>The prompt style a task kind uses unless told otherwise (its source's).</summary>
    public static PromptStyle DefaultPromptStyle(TaskKind kind) => TaskSources.Of(kind).DefaultStyle;

    /// <summary>The <see cref="TaskSpec.HeldOutSize"/> held-out problems (seed <see cref="TaskSpec.DataSeed"/>).</summary>
    public static IReadOnlyList<Problem> HeldOut(TaskSpec task, PromptStyle? style = null) =>
        Problems(task, SplitPart.HeldOut, task.HeldOutSize, style);

    /// <summary>The <see cref="TaskSpec.TrainSize"/> training problems (seed <see cref="TaskSpec.DataSeed"/>).</summary>
    public static IReadOnlyList<Problem> Train(TaskSpec task, PromptStyle? style = null) =>
        Problems(task, SplitPart.Train, task.TrainSize, style);

    /// <summary><paramref name="count"/> problems of one split, made by the task's source.</summary>
    public static IReadOnlyList<Problem> Problems(TaskSpec task, SplitPart part, int count, PromptStyle? style = null)
    {
        var source = TaskSources.Of(task.Kind);
        return source.Problems(task, part, count, style ?? source.DefaultStyle);
    }

    /// <summary>
    /// Draws SFT examples from the training problems, as the task's source makes them: Countdown gives a uniformly random
    /// solution of the problem in a random one of its valid writings; arith the worked solution in a random valid order.
    /// Every draw is fresh, so a problem seen twice may be answered differently.
    /// </summary>
    public static Func<SeededRandom, SftExample> ExampleSource(TaskSpec task, PromptStyle? style = null)
    {
        var source = TaskSources.Of(task.Kind);
        return source.ExampleSource(task, style ?? source.DefaultStyle);
    }
}
