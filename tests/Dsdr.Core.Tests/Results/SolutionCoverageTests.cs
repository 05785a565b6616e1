using Dsdr.Core.Results;

namespace Dsdr.Core.Tests.Results;

public class SolutionCoverageTests
{
    private static CoverageOutcome O(string row, int seed, string problem, bool solved, int distinct = 0) =>
        new(row, seed, $"{row}-{seed}", 100, "countdown", problem, solved, distinct);

    [Fact]
    public void Ledger_lists_solving_seeds_and_distinct_counts_and_the_problems_only_one_row_solved()
    {
        var ledger = SolutionCoverage.Build(
        [
            O("grpo", 1, "p1", true, 1), O("grpo", 0, "p1", false), O("dsdr", 0, "p1", true, 3), O("dsdr", 1, "p1", true, 2),
            O("grpo", 0, "p2", false), O("grpo", 1, "p2", false), O("dsdr", 0, "p2", true, 1), O("dsdr", 1, "p2", false),
            O("grpo", 0, "p3", true, 1), O("grpo", 1, "p3", false), O("dsdr", 0, "p3", false), O("dsdr", 1, "p3", false),
            O("grpo", 0, "p4", false), O("grpo", 1, "p4", false), O("dsdr", 0, "p4", false), O("dsdr", 1, "p4", false),
            O("dsdr", 0, "p5", true, 2), // grpo never evaluated p5: it counts for neither pair
        ]);

        Assert.Equal(["grpo", "dsdr"], ledger.Rows);
        Assert.Equal(["countdown/p1", "countdown/p2", "countdown/p3", "countdown/p4", "countdown/p5"], ledger.Problems.Select(p => p.Key));
        var p1 = ledger.Problems[0];
        Assert.Equal([0, 1], p1.Rows[0].Seeds);
        Assert.Equal([1], p1.Rows[0].SolvedSeeds);
        Assert.Equal(1, p1.Rows[0].MaxDistinctCorrect);
        Assert.Equal(["grpo-0", "grpo-1"], p1.Rows[0].TrialIds);
        Assert.Equal([0, 1], p1.Rows[1].SolvedSeeds);
        Assert.Equal(3, p1.Rows[1].MaxDistinctCorrect);
        Assert.Equal(["dsdr"], ledger.Problems[4].Rows.Select(r => r.Row));

        Assert.Equal(["countdown/p2"], ledger.Pair("dsdr", "grpo")!.Problems);
        Assert.Equal(["countdown/p3"], ledger.Pair("grpo", "dsdr")!.Problems);
        Assert.Equal(2, ledger.Pairs.Count);
        Assert.Equal((2, 3), (ledger.SolvedBy("grpo"), ledger.SolvedBy("dsdr")));
    }

    [Fact]
    public void An_unsolved_problem_has_no_distinct_solutions_and_a_duplicate_outcome_is_refused()
    {
        var ledger = SolutionCoverage.Build([O("grpo", 0, "p1", false, 0)]);
        Assert.Equal(0, ledger.Problems[0].Rows[0].MaxDistinctCorrect);
        Assert.Empty(ledger.Pairs);

        var error = Assert.Throws<ArgumentException>(() => SolutionCoverage.Build([O("grpo", 0, "p1", true), O("grpo", 0, "p1", false)]));
        Assert.Contains("row grpo, seed 0 has two outcomes for countdown/p1", error.Message);
    }

    [Theory]
    [InlineData(true, 0, 0, true)]
    [InlineData(false, 1, 0, true)]
    [InlineData(false, 0, 1, true)]
    [InlineData(false, 0, 0, false)]
    public void Solved_means_any_evaluation_rollout_was_correct(bool pass1, int avgCorrect, int passKCorrect, bool solved) =>
        Assert.Equal(solved, CoverageOutcome.AnyCorrect(new ProblemEvalOutcome("b", "p", pass1, 4, avgCorrect, 4, passKCorrect, 0, null, null, null)));
}
