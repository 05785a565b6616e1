using Dsdr.Core.Failures;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Sft;

namespace Dsdr.Learning.Data;

/// <summary>
/// A task's problems as one trial sees them: the verifier, the training problems, and one held-out set per
/// benchmark. Countdown and arith generate both splits from <see cref="TaskSpec.DataSeed"/> (train and held-out
/// never share a problem, see <see cref="ProblemSplit"/>); math reads its JSONL or parquet files.
/// </summary>
public sealed record TaskData(
    IReasoningTask Task,
    TaskKind Kind,
    PromptStyle Style,
    IReadOnlyList<Problem> Train,
    IReadOnlyDictionary<string, IReadOnlyList<Problem>> HeldOut)
{
    /// <summary>Every character of printable ASCII plus newline: the char-tokenizer alphabet of verbose prompts (arith, math).</summary>
    public const string PrintableAlphabet =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\n";

    /// <summary>
    /// The characters a char-level policy needs for a task: Countdown's compact alphabet, else printable ASCII.
    /// </summary>
    public static string CharAlphabet(TaskKind kind) => kind == TaskKind.Countdown ? CountdownProblem.CompactAlphabet : PrintableAlphabet;

    /// <summary>
    /// Builds the problems of <paramref name="spec"/>. <paramref name="style"/>: Compact for char-tokenizer presets
    /// (Countdown only; arith and math prompts are always verbose).
    /// </summary>
    /// <exception cref="TaskDataException">The problems cannot be made (too few distinct ones) or read (a missing or malformed file).</exception>
    public static TaskData Create(TaskSpec spec, PromptStyle style = PromptStyle.Compact)
    {
        ArgumentNullException.ThrowIfNull(spec);
        try
        {
            return spec.Kind switch
            {
                TaskKind.Countdown => Countdown(spec, style),
                TaskKind.Arith => Arith(spec),
                TaskKind.Math => Math(spec),
                _ => throw new ArgumentException($"Unknown task kind {spec.Kind}; use countdown, arith or math.", nameof(spec)),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new TaskDataException($"the task's problems cannot be made: {ex.Message}", ex);
        }
    }

    // The synthetic draws are Sft.SyntheticTasks' (the backbone trains on the same train split and is evaluated on the same held-out set).
    private static TaskData Countdown(TaskSpec spec, PromptStyle style)
    {
        var name = SweepSpecWriter.KindName(TaskKind.Countdown);
        return new TaskData(TaskCatalog.Get(name), TaskKind.Countdown, style, SyntheticTasks.Train(spec, style),
            new Dictionary<string, IReadOnlyList<Problem>> { [name] = SyntheticTasks.HeldOut(spec, style) });
    }

    private static TaskData Arith(TaskSpec spec)
    {
        var name = SweepSpecWriter.KindName(TaskKind.Arith);
        return new TaskData(TaskCatalog.Get(name), TaskKind.Arith, PromptStyle.Verbose, SyntheticTasks.Train(spec, PromptStyle.Verbose),
            new Dictionary<string, IReadOnlyList<Problem>> { [name] = SyntheticTasks.HeldOut(spec, PromptStyle.Verbose) });
    }

    private static TaskData Math(TaskSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.TrainPath))
            throw new ArgumentException("A math task needs trainPath: a .jsonl or .parquet file (or a folder of them) of training problems, or dataDir.", nameof(spec));
        var train = BenchmarkLoader.Load(spec.TrainPath, "train", mapping: spec.TrainFields);
        var heldOut = spec.Benchmarks.ToDictionary(b => b.Name, b => BenchmarkLoader.Load(b.Path, b.Name, mapping: b.Fields), StringComparer.Ordinal);
        return new TaskData(TaskCatalog.Get(SweepSpecWriter.KindName(TaskKind.Math)), TaskKind.Math, PromptStyle.Verbose, train,
            heldOut.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }

}

/// <summary>
/// A task whose problems cannot be made or read: bad input (the spec or its files), not a crash of the trainer — so
/// deterministic, not retried. The message is the cause's (the loader's own, or .NET's, which names at most the file).
/// </summary>
public sealed class TaskDataException(string message, Exception inner) : DeterministicFailureException(message, inner);
