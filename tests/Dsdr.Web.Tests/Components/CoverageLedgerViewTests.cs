using Bunit;
using Dsdr.Core.Results;
using Dsdr.Web.Components.Results;

namespace Dsdr.Web.Tests.Components;

public class CoverageLedgerViewTests : DashboardContext
{
    private static CoverageOutcome O(string row, int seed, string problem, bool solved, int distinct = 0) =>
        new(row, seed, $"{row}-{seed}", 100, "countdown", problem, solved, distinct);

    internal static CoverageLedger Ledger() => SolutionCoverage.Build(
    [
        O("grpo", 0, "p1", false), O("grpo", 1, "p1", true, 1), O("dsdr", 0, "p1", true, 3), O("dsdr", 1, "p1", true, 2),
        O("grpo", 0, "p2", false), O("grpo", 1, "p2", false), O("dsdr", 0, "p2", false), O("dsdr", 1, "p2", true, 1),
        O("grpo", 0, "p3", false), O("grpo", 1, "p3", false), O("dsdr", 0, "p3", false), O("dsdr", 1, "p3", false),
    ]);

    [Fact]
    public void Pairs_count_the_problems_only_A_solved_and_cells_link_to_the_first_solving_seeds_trial()
    {
        var cut = Render<CoverageLedgerView>(p => p.Add(x => x.Ledger, Ledger()));

        var pair = cut.Find("[data-testid=coverage-pair][data-a=dsdr][data-b=grpo]");
        Assert.Equal("1", pair.TextContent.Trim());
        Assert.Equal("countdown/p2", pair.GetAttribute("title"));
        Assert.Equal("0", cut.Find("[data-testid=coverage-pair][data-a=grpo][data-b=dsdr]").TextContent.Trim());
        Assert.Equal("2 / 3", cut.Find("[data-testid=coverage-solved][data-row=dsdr]").TextContent.Trim());

        var cell = cut.Find("[data-testid=coverage-cell][data-row=grpo][data-problem='countdown/p1'] a");
        Assert.Equal("1/2 (1)", cell.TextContent.Trim());
        Assert.Equal("/trials/grpo-1", cell.GetAttribute("href")); // seed 1 solved it, seed 0 did not
        Assert.Equal("2/2 (3)", cut.Find("[data-testid=coverage-cell][data-row=dsdr][data-problem='countdown/p1'] a").TextContent.Trim());
        Assert.Equal(["/problems/countdown/p1", "/problems/countdown/p2", "/problems/countdown/p3"],
            cut.FindAll("[data-testid=coverage-problem]").Select(a => a.GetAttribute("href")));
    }

    [Fact]
    public void The_disagreement_filter_keeps_problems_some_rows_solved_and_others_did_not()
    {
        var cut = Render<CoverageLedgerView>(p => p.Add(x => x.Ledger, Ledger()));
        Assert.Equal(3, cut.FindAll("[data-testid=coverage-problem]").Count);
        cut.Find("input[type=checkbox]").Change(true); // the disagreement switch, the table's only checkbox
        Assert.Equal(["countdown/p2"], cut.FindAll("[data-testid=coverage-problem]").Select(a => a.TextContent));
    }
}
