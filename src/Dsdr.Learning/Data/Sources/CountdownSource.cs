using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Sft;

namespace Dsdr.Learning.Data.Sources;

/// <summary>Countdown's problems (seeded, see <see cref="CountdownGenerator"/>) in the compact ("3 5 8=64:") or verbose prompt.</summary>
public sealed class CountdownSource : GeneratedTaskSource
{
    [Registered(Order = 0)]
    public static ITaskSource Source { get; } = new CountdownSource();

    public override string Name => CountdownTask.TaskName;
    public override string Description => "Countdown problems generated from the spec's numbers, ranges and data seed";
    public override PromptStyle DefaultStyle => PromptStyle.Compact;
    public override PromptStyle StyleFor(bool characterTokens) => characterTokens ? PromptStyle.Compact : PromptStyle.Verbose;

    public override IReadOnlyList<Problem> Problems(TaskSpec task, SplitPart part, int count, PromptStyle style) =>
        [.. CountdownGenerator.Generate(SyntheticTasks.Countdown(task), (ulong)task.DataSeed, count, part).Select(p => p.ToProblem(style))];

    /// <summary>
    /// A uniformly random solution of a uniformly random training problem (<see cref="CountdownSolver.Solve"/>), written in a
    /// uniformly random one of its valid writings; every draw is fresh.
    /// </summary>
    public override Func<SeededRandom, SftExample> ExampleSource(TaskSpec task, PromptStyle style)
    {
        var problems = CountdownGenerator.Generate(SyntheticTasks.Countdown(task), (ulong)task.DataSeed, task.TrainSize, SplitPart.Train);
        var solved = problems.Select(p => (Prompt: p.Prompt(style), Solutions: CountdownSolver.Solve(p))).ToArray();
        return random =>
        {
            var (prompt, solutions) = solved[random.Next(0, solved.Length - 1)];
            var solution = solutions[random.Next(0, solutions.Count - 1)];
            var writing = solution.Writings[random.Next(0, solution.Writings.Count - 1)];
            return new SftExample(prompt, writing.ToString());
        };
    }
}
