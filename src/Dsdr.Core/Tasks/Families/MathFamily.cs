using System.Text.Json;
using Dsdr.Core.Formulas;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tasks.Families;

/// <summary>Math problems from JSONL or parquet files: a training file and benchmark files, or a dataDir split as the paper.</summary>
public sealed class MathFamily : TaskFamily
{
    [Registered(Order = 2)]
    public static TaskFamily Family { get; } = new MathFamily();

    public override string Name => MathTask.TaskName;
    public override string Description => "math word problems with a numeric or symbolic answer, read from JSONL or parquet files (trainPath and benchmarks, or dataDir)";
    public override string Label => "Math (JSONL files)";
    public override IReadOnlyList<string> Properties { get; } = ["kind", "trainPath", "benchmarks", "dataDir", "trainSet", "promptField", "answerField"];
    public override bool Generated => false;

    internal override TaskSpec Read(SweepSpecParser.SpecReader r, JsonElement element, string path, TaskSpec task)
    {
        var promptField = r.ReadString(element, path, "promptField", required: false, "a field path such as \"problem\" or \"meta.text\"");
        var answerField = r.ReadString(element, path, "answerField", required: false, "a field path such as \"answer\" or \"reward_model.ground_truth\"");
        task = task with { PromptField = promptField, AnswerField = answerField };
        if (element.TryGetProperty("dataDir", out _)) return r.ReadDataDir(element, path, task);
        if (element.TryGetProperty("trainSet", out _)) r.Error(SweepSpecParser.Child(path, "trainSet"), "applies only with dataDir; remove it or give dataDir");
        var trainPath = r.ReadString(element, path, "trainPath", required: true, "the path of a .jsonl or .parquet file (or a folder of them) of training problems, or give dataDir instead");
        var benchmarks = r.ReadBenchmarkFiles(element, path);
        return task with { TrainPath = trainPath, Benchmarks = benchmarks };
    }

    public override void WriteSettings(Utf8JsonWriter w, TaskSpec task)
    {
        if (task.TrainPath is not null) w.WriteString("trainPath", task.TrainPath);
        if (task.PromptField is not null) w.WriteString("promptField", task.PromptField);
        if (task.AnswerField is not null) w.WriteString("answerField", task.AnswerField);
        w.WriteStartArray("benchmarks");
        foreach (var b in task.Benchmarks)
        {
            w.WriteStartObject();
            w.WriteString("name", b.Name);
            w.WriteString("path", b.Path);
            if (b.PromptField is not null) w.WriteString("promptField", b.PromptField);
            if (b.AnswerField is not null) w.WriteString("answerField", b.AnswerField);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public override string Summary(TaskSpec t) => $"math from {t.TrainPath ?? "(no training file)"}, benchmarks {string.Join(", ", t.BenchmarkNames)}";

    public override IReasoningTask Verifier(Func<IFormulaExtractor> formulas) => new MathTask(formulas);

    public override IReadOnlyList<string> BenchmarkNames(TaskSpec task) => [.. task.Benchmarks.Select(b => b.Name)];

    public override int? LongestPromptCharacters(TaskSpec task, bool characterTokens) => null;
}
