using Dsdr.Core.Failures;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;

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
    public const string PrintableAlphabet = TaskFamily.PrintableAlphabet;

    /// <summary>The characters a char-level policy needs for a task: its family's alphabet (Countdown's compact one, else printable ASCII).</summary>
    public static string CharAlphabet(TaskKind kind) => kind.Family.CharacterAlphabet;

    /// <summary>
    /// Builds the problems of <paramref name="spec"/> with its family's source (<see cref="TaskSources"/>).
    /// <paramref name="style"/>: Compact for char-tokenizer presets (Countdown only; arith and math prompts are always verbose).
    /// </summary>
    /// <exception cref="TaskDataException">The problems cannot be made (too few distinct ones) or read (a missing or malformed file).</exception>
    public static TaskData Create(TaskSpec spec, PromptStyle style = PromptStyle.Compact)
    {
        ArgumentNullException.ThrowIfNull(spec);
        try
        {
            return TaskSources.Of(spec.Kind).Load(spec, style);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new TaskDataException($"the task's problems cannot be made: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// A task whose problems cannot be made or read: bad input (the spec or its files), not a crash of the trainer — so
/// deterministic, not retried. The message is the cause's (the loader's own, or .NET's, which names at most the file).
/// </summary>
public sealed class TaskDataException(string message, Exception inner) : DeterministicFailureException(message, inner);
