using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Sft;

namespace Dsdr.Learning.Data.Sources;

/// <summary>Math problems read from the spec's training file and benchmark files (JSONL or parquet, see <see cref="BenchmarkLoader"/>).</summary>
public sealed class MathSource : ITaskSource
{
    [Registered(Order = 2)]
    public static ITaskSource Source { get; } = new MathSource();

    public string Name => MathTask.TaskName;
    public string Description => "math problems read from the spec's trainPath and benchmark files";
    public PromptStyle DefaultStyle => PromptStyle.Compact;
    public PromptStyle StyleFor(bool characterTokens) => PromptStyle.Verbose;

    public TaskData Load(TaskSpec spec, PromptStyle style)
    {
        if (string.IsNullOrWhiteSpace(spec.TrainPath))
            throw new ArgumentException("A math task needs trainPath: a .jsonl or .parquet file (or a folder of them) of training problems, or dataDir.", nameof(spec));
        var train = BenchmarkLoader.Load(spec.TrainPath, "train", mapping: spec.TrainFields);
        var heldOut = spec.Benchmarks.ToDictionary(b => b.Name, b => BenchmarkLoader.Load(b.Path, b.Name, mapping: b.Fields), StringComparer.Ordinal);
        return new TaskData(TaskCatalog.Get(Name), spec.Kind, PromptStyle.Verbose, train,
            heldOut.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }

    public IReadOnlyList<Problem> Problems(TaskSpec task, SplitPart part, int count, PromptStyle style) => throw TaskSources.NotGenerated(Name);

    public Func<SeededRandom, SftExample> ExampleSource(TaskSpec task, PromptStyle style) => throw TaskSources.NotGenerated(Name);
}
