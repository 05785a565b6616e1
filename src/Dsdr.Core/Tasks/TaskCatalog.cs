using Dsdr.Core.Formulas;

namespace Dsdr.Core.Tasks;

/// <summary>The tasks by name: "countdown", "arith", "math".</summary>
public static class TaskCatalog
{
    // One shared instance, so its cache of solution counts serves every caller (it is thread-safe).
    private static readonly CountdownTask Countdown = new();

    public static IReadOnlyList<string> Names { get; } = [CountdownTask.TaskName, ArithTask.TaskName, MathTask.TaskName];

    /// <summary>The task called <paramref name="name"/> (case-insensitive); an ArgumentException lists the known names otherwise.</summary>
    public static IReasoningTask Get(string name) => Get(name, DefaultFormulas);

    /// <summary>As <see cref="Get(string)"/>, with the formula extractor the arith and math tasks use.</summary>
    public static IReasoningTask Get(string name, Func<IFormulaExtractor> formulas) =>
        name?.Trim().ToLowerInvariant() switch
        {
            CountdownTask.TaskName => Countdown,
            ArithTask.TaskName => new ArithTask(formulas),
            MathTask.TaskName => new MathTask(formulas),
            _ => throw new ArgumentException($"Unknown task \"{name}\"; known tasks: {string.Join(", ", Names)}.", nameof(name)),
        };

    /// <summary>The spec §6 extractor.</summary>
    public static IFormulaExtractor DefaultFormulas() => DefaultFormulaExtractor.Instance;
}
