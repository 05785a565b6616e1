using Dsdr.Core.Results;

namespace Dsdr.Core.Tests.Results;

/// <summary>A result table says why a row is missing or short of seeds: "dsdr: 3 trials failed (training diverged)".</summary>
public sealed class MissingResultsTests
{
    private const string Diverged = "Training diverged: the loss became NaN at update 4; lower the learning rate (base.learningRate) or check the training data.";

    [Fact]
    public void Trials_without_figures_are_grouped_by_row_status_and_cause()
    {
        TrialResultState[] trials =
        [
            new("g0", "grpo", "completed", null), new("g1", "grpo", "cancelled", null),
            new("d0", "dsdr", "failed", Diverged), new("d1", "dsdr", "failed", Diverged), new("d2", "dsdr", "failed", Diverged),
            new("a0", "dapo", "queued", null), new("a1", "dapo", "completed", null),
        ];
        var missing = MissingResults.Of(trials, ["g0"]);
        Assert.Equal(["grpo: 1 trial cancelled", "dsdr: 3 trials failed (training diverged)", "dapo: 1 trial queued", "dapo: 1 trial completed without an evaluation"],
            missing.Select(m => m.Text));
        Assert.Empty(MissingResults.Of(trials.Take(1), ["g0"]));
    }

    [Fact]
    public void Stopped_trials_are_their_own_kind_stopped_early_with_the_rule_that_stopped_them()
    {
        TrialResultState[] trials =
        [
            new("d0", "dsdr", "stopped", "stopped by ASHA at rung 40: eval/countdown/avg@16 = 0.31 is not in the top 1/3 of the 9 trials that reached it"),
            new("d1", "dsdr", "stopped", "stopped by ASHA at rung 40: eval/countdown/avg@16 = 0.28 is not in the top 1/3 of the 10 trials that reached it"),
            new("d2", "dsdr", "stopped", "diversity collapse: distinct below 50% of the backbone's 2.4 (< 1.2) for 2 evaluations, steps 20, 30"),
            new("d3", "dsdr", "completed", null),
        ];
        Assert.Equal(["dsdr: 2 trials stopped early (stopped by ASHA at rung 40)", "dsdr: 1 trial stopped early (diversity collapse)"],
            MissingResults.Of(trials, ["d3"]).Select(m => m.Text));
    }

    [Theory]
    [InlineData("SimulatedDeviceException: simulated device fault before step 4", "SimulatedDeviceException")]
    [InlineData("lease expired: slot a/cpu:0 missed its heartbeats (attempt 3 of 3)", "lease expired")]
    [InlineData("A file the trial needs is missing (step-000003.json); check the spec", "a file the trial needs is missing (step-000003.json)")]
    [InlineData("  ", null)]
    public void The_cause_is_the_errors_first_clause(string error, string? cause) => Assert.Equal(cause, MissingResults.CauseOf(error));

    [Fact]
    public void Every_format_but_csv_carries_the_note_and_json_reads_it_back()
    {
        var table = new ResultTable([], []) { Missing = MissingResults.Of([new TrialResultState("d0", "dsdr", "failed", Diverged)], []) };
        Assert.Contains("Missing: dsdr: 1 trial failed (training diverged).", ResultTableRenderer.ToMarkdown(table));
        Assert.Contains("% Missing: dsdr: 1 trial failed (training diverged).", ResultTableRenderer.ToLatex(table));
        Assert.DoesNotContain("Missing", ResultTableRenderer.ToCsv(table));
        using var json = System.Text.Json.JsonDocument.Parse(ResultTableRenderer.ToJson(table));
        var back = ResultTableRenderer.FromJson(json.RootElement);
        Assert.Equal(table.Missing, back.Missing);
        Assert.Null(ResultTableRenderer.MissingLine(new ResultTable([], [])));
    }
}
