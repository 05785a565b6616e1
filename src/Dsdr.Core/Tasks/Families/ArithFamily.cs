using System.Text.Json;
using Dsdr.Core.Formulas;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tasks.Families;

/// <summary>Multi-step arithmetic: a signed sum of <see cref="TaskSpec.Operands"/> products of two factors from the number range.</summary>
public sealed class ArithFamily : TaskFamily
{
    [Registered(Order = 1)]
    public static TaskFamily Family { get; } = new ArithFamily();

    public override string Name => ArithTask.TaskName;
    public override string Description => "evaluate a sum of 2–8 signed products, answered with the worked steps (generated, seeded)";
    public override string Label => "Multi-step arithmetic";
    public override IReadOnlyList<string> Properties { get; } = ["kind", "operands", "numberRange", "trainSize", "heldOutSize", "dataSeed"];
    public override bool Generated => true;

    internal override TaskSpec Read(SweepSpecParser.SpecReader r, JsonElement element, string path, TaskSpec task)
    {
        task = ReadGeneratedSplit(r, element, path, task);
        return task with { Operands = r.ReadInt(element, path, "operands", task.Operands, v => v is >= 2 and <= 8 ? null : "must be between 2 and 8") };
    }

    public override void WriteSettings(Utf8JsonWriter w, TaskSpec task)
    {
        w.WriteNumber("operands", task.Operands);
        SweepSpecWriter.WriteRange(w, "numberRange", task.NumberRange);
        WriteGeneratedSplit(w, task);
    }

    public override string Summary(TaskSpec t) =>
        $"{Name} with {t.Operands} operands from {t.NumberRange}, {t.TrainSize} training / {t.HeldOutSize} held-out problems (data seed {t.DataSeed})";

    public override IReasoningTask Verifier(Func<IFormulaExtractor> formulas) => new ArithTask(formulas);

    public override TaskCapacity.Capacity? Capacity(TaskSpec task) =>
        TaskCapacity.Cached($"a|{task.Operands}|{task.NumberRange}", () => TaskCapacity.Arith(task));

    public override string SpaceDescription(TaskSpec task) => $"{task.Operands} products of two factors from {task.NumberRange}";

    public override int? LongestPromptCharacters(TaskSpec task, bool characterTokens) =>
        new ArithProblem([.. Enumerable.Range(0, task.Operands).Select(i => new ArithTerm(i > 0, [task.NumberRange.Max, task.NumberRange.Max]))])
            .Prompt(PromptStyle.Verbose).Length;
}
