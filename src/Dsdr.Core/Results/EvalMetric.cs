using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Results;

/// <summary>
/// An evaluation metric a benchmark reports (spec §7): its name, whether it takes a k ("avg@16"), how tables show it,
/// and its value per problem — every figure is the mean of that value over the problems where it is defined. One
/// registered item (a <see cref="RegisteredAttribute"/> property of this type, its Order the table's metric order);
/// the evaluator's figures, the result API's metric names and expected figures, early stopping's metric check and the
/// tables' labels read <see cref="EvalMetrics.Registry"/>.
/// </summary>
/// <param name="Value">The per-problem value at k (null for a metric without k); null where it is not defined for the problem.</param>
public sealed record EvalMetric(string Name, string Description, Func<ProblemEvalOutcome, int?, double?> Value) : IRegistered
{
    /// <summary>True when the metric is written with a k ("pass@4"), false when it takes none ("distinct").</summary>
    public bool TakesK { get; init; }

    /// <summary>A fraction in [0, 1], shown as a percentage.</summary>
    public bool IsRate { get; init; }

    /// <summary>A lower mean is the better one (the similarities).</summary>
    public bool LowerIsBetter { get; init; }

    /// <summary>Place in a table's column order before the name: Pass@1 0, Avg@k 1, pass@k 2, the rest 3 (then by name and k).</summary>
    public int TableRank { get; init; } = 3;

    /// <summary>The display label at k ("Avg@16"); null for the key's text.</summary>
    public Func<int?, string?> Label { get; init; } = _ => null;

    /// <summary>The ks a benchmark of these outcomes is reported at (from its first outcome's sample counts); [null] for a metric without k.</summary>
    public Func<ProblemEvalOutcome, IEnumerable<int?>> ReportedKs { get; init; } = _ => [null];

    /// <summary>The ks a spec's evaluation writes, before any is stored; none when the spec does not measure it.</summary>
    public Func<EvalSpec, IEnumerable<int?>> EvaluatedKs { get; init; } = _ => [null];
}
