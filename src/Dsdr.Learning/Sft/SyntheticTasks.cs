using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;

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

    /// <summary>The prompt style a task kind uses unless told otherwise.</summary>
    public static PromptStyle DefaultPromptStyle(TaskKind kind) => kind == TaskKind.Arith ? PromptStyle.Verbose : PromptStyle.Compact;

    /// <summary>The <see cref="TaskSpec.HeldOutSize"/> held-out problems (seed <see cref="TaskSpec.DataSeed"/>).</summary>
    public static IReadOnlyList<Problem> HeldOut(TaskSpec task, PromptStyle? style = null) =>
        Problems(task, SplitPart.HeldOut, task.HeldOutSize, style);

    /// <summary>The <see cref="TaskSpec.TrainSize"/> training problems (seed <see cref="TaskSpec.DataSeed"/>).</summary>
    public static IReadOnlyList<Problem> Train(TaskSpec task, PromptStyle? style = null) =>
        Problems(task, SplitPart.Train, task.TrainSize, style);

    public static IReadOnlyList<Problem> Problems(TaskSpec task, SplitPart part, int count, PromptStyle? style = null)
    {
        var prompts = style ?? DefaultPromptStyle(task.Kind);
        return task.Kind switch
        {
            TaskKind.Countdown => [.. CountdownGenerator.Generate(Countdown(task), (ulong)task.DataSeed, count, part).Select(p => p.ToProblem(prompts))],
            TaskKind.Arith => prompts == PromptStyle.Verbose
                ? [.. ArithGenerator.Generate(Arith(task), (ulong)task.DataSeed, count, part).Select(p => p.ToProblem())]
                : throw new ArgumentException($"The arith task has only the {PromptStyle.Verbose} prompt style; got {prompts}."),
            _ => throw NotSynthetic(task.Kind),
        };
    }

    /// <summary>
    /// Draws SFT examples from the training problems: Countdown gives a uniformly random solution of the problem
    /// (<see cref="CountdownSolver.Solve"/>), written in a uniformly random one of its valid writings; arith gives
    /// the worked solution in a random valid order. Every draw is fresh, so a problem seen twice may be answered differently.
    /// </summary>
    public static Func<SeededRandom, SftExample> ExampleSource(TaskSpec task, PromptStyle? style = null)
    {
        var prompts = style ?? DefaultPromptStyle(task.Kind);
        switch (task.Kind)
        {
            case TaskKind.Countdown:
            {
                var problems = CountdownGenerator.Generate(Countdown(task), (ulong)task.DataSeed, task.TrainSize, SplitPart.Train);
                var solved = problems.Select(p => (Prompt: p.Prompt(prompts), Solutions: CountdownSolver.Solve(p))).ToArray();
                return random =>
                {
                    var (prompt, solutions) = solved[random.Next(0, solved.Length - 1)];
                    var solution = solutions[random.Next(0, solutions.Count - 1)];
                    var writing = solution.Writings[random.Next(0, solution.Writings.Count - 1)];
                    return new SftExample(prompt, writing.ToString());
                };
            }
            case TaskKind.Arith:
            {
                if (prompts != PromptStyle.Verbose) throw new ArgumentException($"The arith task has only the {PromptStyle.Verbose} prompt style; got {prompts}.");
                var problems = ArithGenerator.Generate(Arith(task), (ulong)task.DataSeed, task.TrainSize, SplitPart.Train);
                return random =>
                {
                    var problem = problems[random.Next(0, problems.Count - 1)];
                    return new SftExample(problem.Prompt(PromptStyle.Verbose), problem.WorkedSolution(random));
                };
            }
            default:
                throw NotSynthetic(task.Kind);
        }
    }

    private static NotSupportedException NotSynthetic(TaskKind kind) =>
        new($"Task kind {kind} has no generated problems or solutions: the SFT warm start and held-out generation cover countdown and arith; " +
            "start math runs from a pretrained checkpoint (model.checkpoint) instead.");
}
