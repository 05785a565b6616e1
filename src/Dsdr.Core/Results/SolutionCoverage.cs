namespace Dsdr.Core.Results;

/// <summary>
/// One trial's final evaluation of one held-out problem, as the coverage ledger reads it: did any evaluation rollout
/// solve it, and how many distinct correct solutions did its pass@k rollouts hold.
/// </summary>
/// <param name="Row">The result-table row (an arm at one grid point); coverage compares rows.</param>
public sealed record CoverageOutcome(string Row, int Seed, string TrialId, int Step, string Benchmark, string ProblemId, bool Solved, int DistinctCorrect)
{
    /// <summary>solved ⇔ Pass@1 correct ∨ any Avg@k rollout correct ∨ any pass@k rollout correct.</summary>
    public static bool AnyCorrect(ProblemEvalOutcome o) => o.Pass1Correct || o.AvgCorrect > 0 || o.PassKCorrect > 0;
}

/// <summary>One row on one problem: which of its seeds solved it, and the most distinct correct solutions one seed found.</summary>
/// <param name="TrialIds">The row's trial on this problem per seed (same order as <paramref name="Seeds"/>), for click-through.</param>
public sealed record RowCoverage(string Row, IReadOnlyList<int> Seeds, IReadOnlyList<string> TrialIds, IReadOnlyList<int> SolvedSeeds, int MaxDistinctCorrect)
{
    public bool Solved => SolvedSeeds.Count > 0;
}

/// <summary>A problem and how each row covers it (rows that did not evaluate it are absent).</summary>
public sealed record ProblemCoverage(string Benchmark, string ProblemId, IReadOnlyList<RowCoverage> Rows)
{
    public string Key => $"{Benchmark}/{ProblemId}";
}

/// <summary>The problems row <paramref name="A"/> solved (some seed) that row <paramref name="B"/> did not (no seed), among those both evaluated.</summary>
public sealed record ExclusiveSolves(string A, string B, IReadOnlyList<string> Problems)
{
    public int Count => Problems.Count;
}

/// <summary>
/// The solution-coverage ledger of a sweep: per problem which rows (and seeds) solved it and how many distinct correct
/// solutions they found; per ordered pair of rows the problems only the first solved; per row how many it solved.
/// </summary>
public sealed record CoverageLedger(IReadOnlyList<string> Rows, IReadOnlyList<ProblemCoverage> Problems, IReadOnlyList<ExclusiveSolves> Pairs)
{
    public static readonly CoverageLedger Empty = new([], [], []);

    /// <summary>|{p : row solved p}|.</summary>
    public int SolvedBy(string row) => Problems.Count(p => p.Rows.Any(r => r.Row == row && r.Solved));

    public ExclusiveSolves? Pair(string a, string b) => Pairs.FirstOrDefault(p => p.A == a && p.B == b);
}

public static class SolutionCoverage
{
    /// <summary>
    /// The ledger of the given outcomes (each trial's final evaluation), rows in first-seen order, problems by benchmark then
    /// id, seeds ascending. Only_A(A, B) = {p : ∃ seed of A solving p} ∖ {p : ∃ seed of B solving p}, over problems both rows evaluated.
    /// A (row, seed, problem) given twice is a caller error.
    /// </summary>
    public static CoverageLedger Build(IEnumerable<CoverageOutcome> outcomes)
    {
        var list = outcomes.ToList();
        var rows = list.Select(o => o.Row).Distinct().ToList();
        var duplicate = list.GroupBy(o => (o.Row, o.Seed, o.Benchmark, o.ProblemId)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"row {duplicate.Key.Row}, seed {duplicate.Key.Seed} has two outcomes for {duplicate.Key.Benchmark}/{duplicate.Key.ProblemId}.", nameof(outcomes));

        var problems = list.GroupBy(o => (o.Benchmark, o.ProblemId))
            .OrderBy(g => g.Key.Benchmark, StringComparer.Ordinal).ThenBy(g => g.Key.ProblemId, StringComparer.Ordinal)
            .Select(g => new ProblemCoverage(g.Key.Benchmark, g.Key.ProblemId,
                [.. rows.Where(r => g.Any(o => o.Row == r)).Select(r => RowOn(r, g.Where(o => o.Row == r)))]))
            .ToList();

        var pairs = new List<ExclusiveSolves>();
        foreach (var a in rows)
            foreach (var b in rows)
                if (a != b)
                    pairs.Add(new ExclusiveSolves(a, b, [.. problems.Where(p => OnlyFirst(p, a, b)).Select(p => p.Key)]));
        return new CoverageLedger(rows, problems, pairs);
    }

    private static RowCoverage RowOn(string row, IEnumerable<CoverageOutcome> outcomes)
    {
        var bySeed = outcomes.OrderBy(o => o.Seed).ToList();
        return new RowCoverage(row, [.. bySeed.Select(o => o.Seed)], [.. bySeed.Select(o => o.TrialId)],
            [.. bySeed.Where(o => o.Solved).Select(o => o.Seed)], bySeed.Max(o => o.Solved ? o.DistinctCorrect : 0));
    }

    // A solved p, B evaluated p and solved it with no seed
    private static bool OnlyFirst(ProblemCoverage problem, string a, string b) =>
        problem.Rows.FirstOrDefault(r => r.Row == a) is { Solved: true } && problem.Rows.FirstOrDefault(r => r.Row == b) is { Solved: false };
}
