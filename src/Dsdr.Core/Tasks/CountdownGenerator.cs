namespace Dsdr.Core.Tasks;

/// <summary>How a generated problem's target is chosen among the values its numbers reach.</summary>
public enum TargetChoice
{
    /// <summary>Uniformly among the distinct reachable integers in range (many targets then have a single solution).</summary>
    UniformReachable,
    /// <summary>With probability proportional to how many ways the value is reached, like evaluating a random expression (favours targets with several solutions).</summary>
    ByExpressions,
}

/// <summary>How Countdown problems are drawn. Defaults are the calibration's: 3 numbers from 1..20, targets ≤ 100.</summary>
/// <param name="Count">How many numbers per problem (3 or 4).</param>
/// <param name="MinNumber">Smallest number drawn (≥ 0).</param>
/// <param name="MaxNumber">Largest number drawn.</param>
/// <param name="MinTarget">Smallest target.</param>
/// <param name="MaxTarget">Largest target.</param>
/// <param name="IntegerIntermediates">Every intermediate result must be an integer (exact divisions only).</param>
/// <param name="HeldOutFraction">Share of all problems that belong to the held-out split.</param>
/// <param name="Targets">How the target is chosen among the reachable values.</param>
/// <param name="MinSolutions">Redraw problems with fewer distinct solutions than this (1 keeps every solvable one).</param>
public sealed record CountdownConfig(
    int Count = 3,
    int MinNumber = 1,
    int MaxNumber = 20,
    int MinTarget = 1,
    int MaxTarget = 100,
    bool IntegerIntermediates = true,
    double HeldOutFraction = 0.1,
    TargetChoice Targets = TargetChoice.UniformReachable,
    int MinSolutions = 1)
{
    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public void Validate()
    {
        if (Count is not (3 or 4)) throw new ArgumentException($"CountdownConfig.Count must be 3 or 4, got {Count}.");
        if (MinNumber < 0) throw new ArgumentException($"CountdownConfig.MinNumber must be ≥ 0, got {MinNumber}.");
        if (MaxNumber < MinNumber) throw new ArgumentException($"CountdownConfig.MaxNumber ({MaxNumber}) is below MinNumber ({MinNumber}).");
        if (MaxTarget < MinTarget) throw new ArgumentException($"CountdownConfig.MaxTarget ({MaxTarget}) is below MinTarget ({MinTarget}).");
        if (HeldOutFraction is < 0 or > 1 || double.IsNaN(HeldOutFraction))
            throw new ArgumentException($"CountdownConfig.HeldOutFraction must lie in [0, 1], got {HeldOutFraction}.");
        if (!Enum.IsDefined(Targets)) throw new ArgumentException($"CountdownConfig.Targets has an unknown value {(int)Targets}.");
        if (MinSolutions < 1) throw new ArgumentException($"CountdownConfig.MinSolutions must be ≥ 1, got {MinSolutions}.");
    }
}

/// <summary>Seeded Countdown generator: every problem it makes has at least one solution.</summary>
public static class CountdownGenerator
{
    private const int MaxDrawsPerProblem = 1000;

    /// <summary>
    /// Draws the numbers uniformly (with repetition) from [MinNumber, MaxNumber], then the target
    /// among the integers in [MinTarget, MaxTarget] that the numbers can reach, as
    /// <see cref="CountdownConfig.Targets"/> says; redraws the numbers when none is reachable or the
    /// problem has fewer than <see cref="CountdownConfig.MinSolutions"/> solutions.
    /// </summary>
    public static CountdownProblem Next(CountdownConfig config, SeededRandom random)
    {
        config.Validate();
        for (var draw = 0; draw < MaxDrawsPerProblem; draw++)
        {
            var numbers = Enumerable.Range(0, config.Count).Select(_ => random.Next(config.MinNumber, config.MaxNumber)).ToArray();
            var targets = CountdownSolver.ReachableIntegerCounts(numbers, config.IntegerIntermediates)
                .Where(t => t.Key >= config.MinTarget && t.Key <= config.MaxTarget)
                .OrderBy(t => t.Key)
                .ToList();
            if (targets.Count == 0) continue;
            var target = config.Targets == TargetChoice.UniformReachable
                ? targets[random.Next(0, targets.Count - 1)].Key
                : Weighted(targets, random);
            var problem = new CountdownProblem(numbers, (int)target, config.IntegerIntermediates);
            if (config.MinSolutions > 1 && CountdownSolver.CountSolutions(problem) < config.MinSolutions) continue;
            return problem;
        }
        throw new ArgumentException(
            $"No reachable target in [{config.MinTarget}, {config.MaxTarget}] with at least {config.MinSolutions} solution(s) after {MaxDrawsPerProblem} draws " +
            $"of {config.Count} numbers from [{config.MinNumber}, {config.MaxNumber}]; widen the target range or lower MinSolutions.");
    }

    // P(value) = count(value) / Σ counts.
    private static System.Numerics.BigInteger Weighted(List<KeyValuePair<System.Numerics.BigInteger, long>> targets, SeededRandom random)
    {
        var total = targets.Sum(t => t.Value);
        var pick = (long)(random.NextUInt64() % (ulong)total);
        foreach (var t in targets)
        {
            if (pick < t.Value) return t.Key;
            pick -= t.Value;
        }
        return targets[^1].Key;
    }

    /// <summary>
    /// <paramref name="count"/> distinct problems (distinct up to the order of the numbers) from one
    /// seed, all in the requested split part; the same arguments always give the same list, and the
    /// Train and HeldOut parts never share a problem (split by <see cref="ProblemSplit"/> on the identity).
    /// </summary>
    public static IReadOnlyList<CountdownProblem> Generate(CountdownConfig config, ulong seed, int count, SplitPart part = SplitPart.All)
    {
        config.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new SeededRandom(seed);
        var seen = new HashSet<string>();
        var problems = new List<CountdownProblem>(count);
        var maxDraws = 100L * count + 10_000;
        for (long draws = 0; problems.Count < count; draws++)
        {
            if (draws >= maxDraws)
                throw new ArgumentException(
                    $"Only {problems.Count} distinct {part} problems found after {maxDraws} draws, {count} requested; widen the number or target range or ask for fewer.");
            var p = Next(config, random);
            if (ProblemSplit.InPart(p.Identity, part, config.HeldOutFraction) && seen.Add(p.Identity))
                problems.Add(p);
        }
        return problems;
    }
}
