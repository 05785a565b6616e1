using System.Text.Json;
using Dsdr.Core.Formulas;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tasks.Families;

/// <summary>Countdown: <see cref="TaskSpec.Numbers"/> numbers from the number range, a reachable target in the target range.</summary>
public sealed class CountdownFamily : TaskFamily
{
    // One shared verifier, so its cache of solution counts serves every caller (it is thread-safe).
    private static readonly CountdownTask SharedVerifier = new();

    [Registered(Order = 0)]
    public static TaskFamily Family { get; } = new CountdownFamily();

    public override string Name => CountdownTask.TaskName;
    public override string Description => "reach a target from 3 or 4 numbers with + − × ÷, each number used once (generated, seeded)";
    public override string Label => "Countdown";
    public override IReadOnlyList<string> Properties { get; } =
        ["kind", "numbers", "numberRange", "targetRange", "targets", "minSolutions", "trainSize", "heldOutSize", "dataSeed"];
    public override bool Generated => true;
    public override string CharacterAlphabet => CountdownProblem.CompactAlphabet;

    internal override TaskSpec Read(SweepSpecParser.SpecReader r, JsonElement element, string path, TaskSpec task)
    {
        task = ReadGeneratedSplit(r, element, path, task);
        return task with
        {
            Numbers = r.ReadInt(element, path, "numbers", task.Numbers, v => v is 3 or 4 ? null : "must be 3 or 4 (numbers per Countdown problem)"),
            TargetRange = r.ReadRange(element, path, "targetRange", task.TargetRange, 1),
            Targets = r.ReadTargetChoice(element, path, task.Targets),
            MinSolutions = r.ReadInt(element, path, "minSolutions", task.MinSolutions, v => v is >= 1 and <= 100 ? null : "must be between 1 and 100 (distinct solutions a problem needs)"),
        };
    }

    public override void WriteSettings(Utf8JsonWriter w, TaskSpec task)
    {
        w.WriteNumber("numbers", task.Numbers);
        SweepSpecWriter.WriteRange(w, "numberRange", task.NumberRange);
        SweepSpecWriter.WriteRange(w, "targetRange", task.TargetRange);
        w.WriteString("targets", SweepSpecParser.TargetChoiceNames.First(n => n.Value == task.Targets).Key);
        w.WriteNumber("minSolutions", task.MinSolutions);
        WriteGeneratedSplit(w, task);
    }

    public override string Summary(TaskSpec t) =>
        $"Countdown with {t.Numbers} numbers from {t.NumberRange}, targets in {t.TargetRange}, {t.TrainSize} training / " +
        $"{t.HeldOutSize} held-out problems (data seed {t.DataSeed})";

    public override IReasoningTask Verifier(Func<IFormulaExtractor> formulas) => SharedVerifier;

    public override TaskCapacity.Capacity? Capacity(TaskSpec task) =>
        TaskCapacity.Cached($"c|{task.Numbers}|{task.NumberRange}|{task.TargetRange}|{task.MinSolutions}", () => TaskCapacity.Countdown(task));

    public override string SpaceDescription(TaskSpec task) =>
        $"{task.Numbers} numbers from {task.NumberRange}, targets in {task.TargetRange}" + (task.MinSolutions > 1 ? $", at least {task.MinSolutions} solutions" : "");

    public override string WidenedBy => "numberRange or targetRange";

    public override int? LongestPromptCharacters(TaskSpec task, bool characterTokens) =>
        new CountdownProblem([.. Enumerable.Repeat(task.NumberRange.Max, task.Numbers)], task.TargetRange.Max)
            .Prompt(characterTokens ? PromptStyle.Compact : PromptStyle.Verbose).Length;
}
