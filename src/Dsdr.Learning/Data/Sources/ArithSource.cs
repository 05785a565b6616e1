using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Sft;

namespace Dsdr.Learning.Data.Sources;

/// <summary>Multi-step arithmetic problems (seeded, see <see cref="ArithGenerator"/>); they have only the verbose prompt.</summary>
public sealed class ArithSource : GeneratedTaskSource
{
    [Registered(Order = 1)]
    public static ITaskSource Source { get; } = new ArithSource();

    public override string Name => ArithTask.TaskName;
    public override string Description => "arithmetic problems generated from the spec's operands, number range and data seed";
    public override PromptStyle DefaultStyle => PromptStyle.Verbose;
    public override PromptStyle StyleFor(bool characterTokens) => PromptStyle.Verbose;

    public override TaskData Load(TaskSpec spec, PromptStyle style) => base.Load(spec, PromptStyle.Verbose);

    public override IReadOnlyList<Problem> Problems(TaskSpec task, SplitPart part, int count, PromptStyle style)
    {
        RequireVerbose(style);
        return [.. ArithGenerator.Generate(SyntheticTasks.Arith(task), (ulong)task.DataSeed, count, part).Select(p => p.ToProblem())];
    }

    /// <summary>A random training problem and its worked solution in a random valid order; every draw is fresh.</summary>
    public override Func<SeededRandom, SftExample> ExampleSource(TaskSpec task, PromptStyle style)
    {
        RequireVerbose(style);
        var problems = ArithGenerator.Generate(SyntheticTasks.Arith(task), (ulong)task.DataSeed, task.TrainSize, SplitPart.Train);
        return random =>
        {
            var problem = problems[random.Next(0, problems.Count - 1)];
            return new SftExample(problem.Prompt(PromptStyle.Verbose), problem.WorkedSolution(random));
        };
    }

    private static void RequireVerbose(PromptStyle style)
    {
        if (style != PromptStyle.Verbose) throw new ArgumentException($"The arith task has only the {PromptStyle.Verbose} prompt style; got {style}.");
    }
}
