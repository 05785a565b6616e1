using Dsdr.Core.Formulas;

namespace Dsdr.Core.Tasks;

/// <summary>The verifiers of the registered task families by name: "countdown", "arith", "math".</summary>
public static class TaskCatalog
{
    public static IReadOnlyList<string> Names => TaskFamilies.Registry.Names;

    /// <summary>The task called <paramref name="name"/> (case-insensitive); an ArgumentException lists the known names otherwise.</summary>
    public static IReasoningTask Get(string name) => Get(name, DefaultFormulas);

    /// <summary>As <see cref="Get(string)"/>, with the formula extractor the arith and math tasks use.</summary>
    public static IReasoningTask Get(string name, Func<IFormulaExtractor> formulas) =>
        TaskFamilies.Registry.TryGet(name?.Trim().ToLowerInvariant() ?? "", out var family)
            ? family.Verifier(formulas)
            : throw new ArgumentException($"Unknown task \"{name}\"; known tasks: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>The spec §6 extractor.</summary>
    public static IFormulaExtractor DefaultFormulas() => DefaultFormulaExtractor.Instance;
}
