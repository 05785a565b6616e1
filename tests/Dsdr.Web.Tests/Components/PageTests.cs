using Bunit;
using Dsdr.Core.Results;
using Microsoft.Extensions.DependencyInjection;
using Dsdr.Web.Components.Pages;
using Dsdr.Web.Services;

namespace Dsdr.Web.Tests.Components;

/// <summary>The pages against the fake platform: what they show, and that they update by push (no timer).</summary>
public class PageTests() : DashboardContext(TimeSpan.FromMilliseconds(50))
{
    private static readonly DateTime At = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    private static SweepListItem Sweep(string id, string status, int completed, int trials = 4) =>
        new(id, id, status, trials, trials - completed, 0, completed, 0, 0, At, At);

    private static TrialListItem Trial(string id, string row, int seed, int step) =>
        new(id, "s1", row.Split(' ')[0], row, seed, "running", step, 10, 1, "local/cpu0", null, At, null);

    [Fact]
    public void Sweeps_list_shows_status_and_progress_and_updates_without_reload()
    {
        Platform.Sweeps = [Sweep("s1", "running", 1)];
        var cut = Render<Home>();
        Assert.Equal("s1", cut.Find("[data-testid=sweep-row]").GetAttribute("data-sweep"));
        Assert.Contains("1 / 4 trials finished", cut.Find("[data-testid=sweep-row]").TextContent);
        Assert.Equal("running", cut.Find("[data-testid=status]").GetAttribute("data-status"));

        Platform.Sweeps = [Sweep("s1", "completed", 4), Sweep("s2", "queued", 0)];
        Changes.Publish(DataChange.Of(ChangeKind.Sweeps, ["s2"]));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=sweep-row]").Count), TimeSpan.FromSeconds(5));
        Assert.Contains("4 / 4 trials finished", cut.FindAll("[data-testid=sweep-row]")[0].TextContent);
        Assert.Equal("completed", cut.FindAll("[data-testid=status]")[0].GetAttribute("data-status"));
    }

    [Fact]
    public async Task Disposing_the_page_ends_its_subscription()
    {
        var cut = Render<Home>();
        Changes.Publish(DataChange.Of(ChangeKind.Trials, ["s1"], ["t1"]));
        cut.WaitForAssertion(() => Assert.True(Platform.ListCalls >= 2), TimeSpan.FromSeconds(5));
        Assert.Equal(1, Changes.SubscriberCount);
        await DisposeComponentsAsync();
        Assert.Equal(0, Changes.SubscriberCount);
        var calls = Platform.ListCalls;
        Changes.Publish(DataChange.Of(ChangeKind.Sweeps, ["s1"]));
        await Task.Delay(300);
        Assert.Equal(calls, Platform.ListCalls);
    }

    [Fact]
    public async Task No_page_reads_again_on_its_own_it_waits_for_a_change_it_shows()
    {
        SeedSweep();
        Platform.Problems["countdown/7"] = new ProblemView("countdown", "7", "Use 3 5 7 to make 22", "22", 4, 32, 8, 2, []);
        Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo("/compare?trials=t1,t2&metric=reward/mean");
        var pages = new IRenderedComponent<Microsoft.AspNetCore.Components.IComponent>[]
        {
            Render<Home>(), Render<SweepPage>(p => p.Add(x => x.SweepId, "s1")), Render<TrialPage>(p => p.Add(x => x.TrialId, "t1")),
            Render<PoolPage>(), Render<ComparePage>(), Render<ProblemsPage>(p => p.Add(x => x.Dataset, "countdown").Add(x => x.ProblemId, "7")),
        };
        await Task.Delay(200);
        var reads = Platform.ReadCount;
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // longer than the 2 s the pages used to poll at
        Assert.Equal(reads, Platform.ReadCount);

        // a change none of them shows (another sweep's trial's metrics) reads nothing either
        Changes.Publish(DataChange.Of(ChangeKind.Metrics, trials: ["other-trial"]));
        await Task.Delay(300);
        Assert.Equal(reads, Platform.ReadCount);
        Assert.Equal(6, pages.Length);
    }

    private void SeedSweep()
    {
        Platform.Sweeps = [Sweep("s1", "running", 0, trials: 3)];
        Platform.SweepDetails["s1"] = new SweepDetails(Sweep("s1", "running", 0, trials: 3), "{}",
            [Trial("t1", "grpo", 0, 5), Trial("t2", "grpo", 1, 6), Trial("t3", "dsdr", 0, 4)], ["grpo", "dsdr"], ["Countdown"], []);
        Platform.Trials["t1"] = new TrialDetails(Trial("t1", "grpo", 0, 5), "{}", [], ["reward/mean"], []);
        Platform.Trials["t2"] = new TrialDetails(Trial("t2", "grpo", 1, 6), "{}", [], ["reward/mean"], []);
        Platform.Curves.AddRange(
        [
            new MetricCurve("t1", "grpo", "grpo", 0, "reward/mean", [new(1, 0.1), new(5, 0.3)], 2),
            new MetricCurve("t2", "grpo", "grpo", 1, "reward/mean", [new(1, 0.2), new(5, 0.5)], 2),
            new MetricCurve("t3", "dsdr", "dsdr", 0, "reward/mean", [new(1, 0.2), new(4, 0.6)], 2),
        ]);
    }

    [Fact]
    public void The_sweep_page_shows_the_platforms_ledger()
    {
        SeedSweep();
        Platform.Coverage["s1"] = CoverageLedgerViewTests.Ledger();
        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "s1"));
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=coverage] [data-testid=coverage-problem]").Count), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void New_metrics_of_one_of_its_trials_redraw_the_sweeps_curves_without_its_table()
    {
        SeedSweep();
        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "s1"));
        string Points() => cut.Find("[data-testid=curve-chart-legend] li[data-series^='dsdr']").GetAttribute("data-points")!;
        Assert.Equal("2", Points());
        var tables = Platform.TableQueries.Count;

        // the ingest path wrote a step of t3: the platform announces it, the page reads the curves again
        var t3 = Platform.Curves.FindIndex(c => c.TrialId == "t3");
        Platform.Curves[t3] = Platform.Curves[t3] with { Points = [new(1, 0.2), new(4, 0.6), new(6, 0.7)] };
        Changes.Publish(DataChange.Of(ChangeKind.Metrics, trials: ["t3"]));
        cut.WaitForAssertion(() => Assert.Equal("3", Points()), TimeSpan.FromSeconds(5));
        Assert.Equal(tables, Platform.TableQueries.Count); // step metrics leave the result table as it is

        // new evaluations do re-read the table
        Changes.Publish(DataChange.Of(ChangeKind.Evals, trials: ["t2"]));
        cut.WaitForAssertion(() => Assert.Equal(tables + 1, Platform.TableQueries.Count), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_burst_of_changes_becomes_a_few_loads_not_one_each()
    {
        await using var slow = new PageTestsWithInterval(TimeSpan.FromMilliseconds(400));
        slow.Platform.Sweeps = [Sweep("s1", "running", 1)];
        slow.Render<Home>();
        var before = slow.Platform.ListCalls;
        var burst = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 100; i++)
        {
            slow.Changes.Publish(DataChange.Of(ChangeKind.Trials, ["s1"], [$"t{i}"]));
            await Task.Delay(5);
        }
        var lasted = burst.Elapsed; // about 0.5 s, more on a loaded machine
        await Task.Delay(1000);
        var loads = slow.Platform.ListCalls - before;
        // one load per 0.4 s of changes (plus the one the burst's end leaves pending), not one per change
        Assert.InRange(loads, 1, (int)(lasted / TimeSpan.FromMilliseconds(400)) + 2);
        Assert.True(loads < 20, $"{loads} loads for 100 changes in {lasted.TotalSeconds:F1} s");
    }

    private sealed class PageTestsWithInterval(TimeSpan interval) : DashboardContext(interval);

    [Fact]
    public void Sweep_page_shows_a_stopped_trials_status_and_why_it_stopped()
    {
        const string reason = "stopped by ASHA at rung 4: reward/mean = 0.31 is not in the top 1/3 of the 6 trials that reached it (its top 1/3 reach 0.35)";
        Platform.SweepDetails["st"] = new SweepDetails(Sweep("st", "completed", 1, 2) with { Queued = 0, Stopped = 1 }, "{}",
            [Trial("st-0", "grpo", 0, 10) with { Status = "completed" }, Trial("st-1", "grpo", 1, 4) with { Status = "stopped", Error = reason }],
            ["grpo"], ["Countdown"], []);
        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "st"));
        var rows = cut.FindAll("[data-testid=trial-row]");
        Assert.Equal("stopped", rows[1].QuerySelector("[data-testid=status]")!.GetAttribute("data-status"));
        Assert.Equal(reason, rows[1].QuerySelector("[data-testid=trial-error]")!.TextContent.Trim());
        Assert.Equal("", rows[0].QuerySelector("[data-testid=trial-error]")!.TextContent.Trim());
    }

    [Fact]
    public void Sweep_page_draws_a_large_sweeps_trials_a_page_at_a_time()
    {
        Platform.SweepDetails["many"] = new SweepDetails(Sweep("many", "running", 0, 250), "{}",
            [.. Enumerable.Range(0, 250).Select(i => Trial($"m{i:D3}", "grpo", i, 0))], ["grpo"], ["Countdown"], []);
        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "many"));

        Assert.Equal(100, cut.FindAll("[data-testid=trial-row]").Count);
        Assert.Contains("trials 1–100 of 250 (page 1 of 3)", cut.Find("[data-testid=trials-range]").TextContent);
        cut.Find("[data-testid=trials-next]").Click();
        cut.Find("[data-testid=trials-next]").Click();
        Assert.Equal(50, cut.FindAll("[data-testid=trial-row]").Count);
        Assert.Contains("trials 201–250 of 250 (page 3 of 3)", cut.Find("[data-testid=trials-range]").TextContent);
        Assert.Contains("m249", cut.FindAll("[data-testid=trial-row]")[^1].TextContent);
    }

    [Fact]
    public void Sweep_page_draws_the_heat_map_table_seed_band_curves_and_pass_at_k()
    {
        var pass1 = new MetricKey(EvalMetrics.Pass1);
        Platform.SweepDetails["s1"] = new SweepDetails(Sweep("s1", "running", 2), "{}",
            [Trial("t1", "grpo", 0, 5), Trial("t2", "grpo", 1, 6), Trial("t3", "dsdr", 0, 4)], ["grpo", "dsdr"], ["Countdown"], [pass1]);
        static ResultDelta D(double mean, bool significant) => new("grpo", mean, mean - 0.1, mean + 0.1, significant ? 0.01 : 0.3, significant);
        Platform.Tables["s1"] = new ResultTable(
            [new("Countdown", pass1), new("Countdown", new MetricKey(EvalMetrics.PassAtK, 1)), new("Countdown", new MetricKey(EvalMetrics.PassAtK, 2))],
            [
                new("grpo", "grpo", [new(0.3, 0.1, 2) { CiLow = 0.25, CiHigh = 0.35 }, new(0.3, 0.1, 2) { CiLow = 0.25, CiHigh = 0.35 }, new(0.4, 0.1, 2) { CiLow = 0.3, CiHigh = 0.5 }]),
                new("dsdr", "dsdr", [new(0.5, null, 1) { Delta = D(0.2, false) }, new(0.5, null, 1) { Delta = D(0.2, false) }, new(0.7, null, 1) { Delta = D(0.3, true) }]),
            ]) { Statistics = new ResultStatisticsSummary("grpo", 2000, 1, 0.95, true) };
        Platform.Trials["t1"] = new TrialDetails(Trial("t1", "grpo", 0, 5), "{}", [], ["reward/mean", "entropy"], []);
        Platform.Curves.AddRange(
        [
            new MetricCurve("t1", "grpo", "grpo", 0, "reward/mean", [new(1, 0.1), new(5, 0.3)], 2),
            new MetricCurve("t2", "grpo", "grpo", 1, "reward/mean", [new(1, 0.2), new(5, 0.5)], 2),
            new MetricCurve("t3", "dsdr", "dsdr", 0, "reward/mean", [new(1, 0.2), new(4, 0.6)], 2),
        ]);

        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "s1"));

        Assert.Equal("s1", cut.Find("[data-testid=sweep-name]").TextContent);
        Assert.Equal(2, cut.FindAll("[data-testid=heat-cell]").Count);
        Assert.Equal(2, cut.FindAll("[data-testid=result-row]").Count);
        Assert.Equal(3, cut.FindAll("[data-testid=trial-row]").Count);
        var curves = cut.FindAll("[data-testid=curve-chart-legend] li");
        Assert.Equal(["grpo (2 seeds, 95 % CI)", "dsdr (seed 0)"], curves.Select(p => p.GetAttribute("data-series")));
        Assert.Equal(["true", "false"], curves.Select(p => p.GetAttribute("data-band"))); // only grpo has two seeds
        var pass = cut.FindAll("[data-testid=passk-chart-legend] li");
        Assert.Equal(["true", "false"], pass.Select(p => p.GetAttribute("data-band"))); // grpo's cells have intervals
        // Δpass@k against GRPO: the table's paired differences, +20 points at k = 1, +30 at k = 2 (significant there)
        Assert.Equal(["dsdr"], cut.FindAll("[data-testid=delta-passk-chart-legend] li").Select(p => p.GetAttribute("data-series")));
        Assert.Equal("true", cut.Find("[data-testid=delta-passk-chart-legend] li").GetAttribute("data-band"));
        Assert.Contains("vs grpo", cut.Find("[data-testid=delta-passk-title]").TextContent);
        Assert.Contains(Platform.BandRequests, r => r.Name == "reward/mean" && r.Trials.Count == 3 && r.From is null);
        var deltas = cut.FindAll("[data-testid=result-delta]");
        Assert.Equal(3, deltas.Count(d => d.GetAttribute("data-reference") == "true")); // grpo's cells say "ref"
        Assert.Equal(["false", "false", "true"], deltas.Where(d => d.GetAttribute("data-reference") is null).Select(d => d.GetAttribute("data-significant")));
    }

    [Fact]
    public void The_reference_row_is_chosen_on_the_page_and_asked_of_the_results()
    {
        Platform.SweepDetails["s1"] = new SweepDetails(Sweep("s1", "completed", 2, trials: 2), "{}", [Trial("t1", "grpo", 0, 5), Trial("t2", "dsdr", 0, 5)],
            ["grpo", "dsdr"], ["Countdown"], []);
        Platform.Tables["s1"] = new ResultTable([new("Countdown", new MetricKey(EvalMetrics.Pass1))],
            [new("grpo", "grpo", [new(0.3, null, 1)]), new("dsdr", "dsdr", [new(0.5, null, 1)])]) { Statistics = new ResultStatisticsSummary("grpo", 2000, 1, 0.95, false) };
        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "s1"));
        Assert.Null(Platform.TableQueries.Last().Reference); // the platform's default (grpo)
        var select = cut.FindComponents<MudBlazor.MudSelect<string>>().Single(s => s.Instance.Label == "Reference");
        cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync("dsdr"));
        cut.WaitForAssertion(() => Assert.Equal("dsdr", Platform.TableQueries.Last().Reference), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Unknown_sweep_says_so()
    {
        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "nope"));
        Assert.Contains("There is no sweep", cut.Find("[data-testid=not-found]").TextContent);
    }

    [Fact]
    public void Trial_page_shows_curves_evals_and_the_rollout_explorer()
    {
        Platform.Trials["t1"] = new TrialDetails(Trial("t1", "dsdr", 0, 5), "{\"seed\":0}",
            [new EvalFigure(0, "Countdown", EvalMetrics.AvgAtK, 16, 0.2), new EvalFigure(5, "Countdown", EvalMetrics.AvgAtK, 16, 0.4)],
            ["reward/mean"], [5]);
        Platform.Curves.Add(new MetricCurve("t1", "dsdr", "dsdr", 0, "reward/mean", [new(1, 0.1), new(5, 0.3)], 2));
        Platform.Rollouts["t1"] = new RolloutStepView("t1", 5, [5],
        [
            new RolloutGroupView("countdown/000007", "Use 3 5 7 to make 22", [
                new RolloutView("3*5+7", 1, true, "3*5+7", 0.4, 1.04, 0.9, 0.7),
                new RolloutView("3+5+7", 0, false, null, 0.1, 0, -0.9, 1.0),
            ]),
        ]);

        var cut = Render<TrialPage>(p => p.Add(x => x.TrialId, "t1"));

        Assert.Equal("dsdr seed 0", Assert.Single(cut.FindAll("[data-testid=trial-curve-chart-legend] li")).GetAttribute("data-series"));
        Assert.Single(cut.FindAll("[data-testid=trial-eval-chart-legend] li[data-series='Countdown']"));
        Assert.Contains("40.0", cut.Find("[data-testid=trial-evals]").TextContent);
        var explorer = cut.Find("[data-testid=rollout-explorer]");
        Assert.Contains("1 / 2 rollouts correct", explorer.TextContent);
        Assert.Contains("countdown/000007 — 1/2 correct", explorer.TextContent);
    }

    private const string NativeFailure = "ExternalException: Unknown scalar type. (at Dsdr.Learning.Model.Qwen2RmsNorm.forward, Qwen2ForCausalLM.cs:391)";

    [Fact]
    public void Trial_page_lists_every_attempt_and_keeps_a_failures_reason_after_a_later_success()
    {
        var trial = Trial("t1", "dapo", 0, 10) with { Status = "completed", Attempts = 2, FailedAttempts = 1, LastFailure = NativeFailure };
        Platform.Trials["t1"] = new TrialDetails(trial, "{}", [], [], [],
        [
            new TrialAttemptView(1, "local", "local/cpu:1", 0, At, At.AddMinutes(2), "failed", NativeFailure),
            new TrialAttemptView(2, "node-b", "node-b/cpu:0", 5, At.AddMinutes(3), At.AddMinutes(9), "completed", null),
        ]);

        var cut = Render<TrialPage>(p => p.Add(x => x.TrialId, "t1"));

        var rows = cut.FindAll("[data-testid=attempt-row]");
        Assert.Equal(2, rows.Count);
        Assert.Equal(["failed", "completed"], cut.FindAll("[data-testid=attempt-outcome]").Select(e => e.TextContent.Trim()));
        Assert.Equal(NativeFailure, cut.FindAll("[data-testid=attempt-reason]")[0].TextContent.Trim());
        Assert.Contains("local/cpu:1", rows[0].TextContent);
        Assert.Contains("2026-11-28 12:02:00 UTC", rows[0].TextContent);
        Assert.Contains("node-b", rows[1].TextContent);
        Assert.Empty(cut.FindAll("[data-testid=trial-error]"));   // the trial itself completed
    }

    [Fact]
    public void Sweep_page_flags_the_trials_that_needed_more_than_one_attempt()
    {
        Platform.SweepDetails["s1"] = new SweepDetails(Sweep("s1", "completed", 3, trials: 3), "{}",
        [
            Trial("t1", "grpo", 0, 10),
            Trial("t2", "dapo", 0, 10) with { Attempts = 3, FailedAttempts = 2, LastFailure = NativeFailure },
            Trial("t3", "dsdr", 0, 10) with { Attempts = 2 },
        ], ["grpo", "dapo", "dsdr"], [], []);

        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "s1"));

        Assert.Contains("2 trials needed more than one attempt", cut.Find("[data-testid=retried-summary]").TextContent);
        var flags = cut.FindAll("[data-testid=trial-retried]");
        Assert.Equal(2, flags.Count);
        Assert.Equal($"2 failed attempts; the last: {NativeFailure}", flags[0].GetAttribute("title"));
        Assert.Contains("none failed", flags[1].GetAttribute("title"));
        Assert.Empty(cut.FindAll("[data-testid=trial-row]")[0].QuerySelectorAll("[data-testid=trial-retried]"));
    }

    [Fact]
    public void Pool_page_lists_slots_and_draws_utilisation()
    {
        var now = DateTimeOffset.UtcNow;
        Platform.Pool = new PoolView(
            [new SlotView("local/cpu0", "local", "cpu", 2, true, "t1", 3, now), new SlotView("local/cpu1", "local", "cpu", 2, true, null, 0, now)],
            1, [new(now.AddSeconds(-10), 2, 1, 2), new(now, 2, 1, 1)]);

        var cut = Render<PoolPage>();

        Assert.Equal(2, cut.FindAll("[data-testid=slot-row]").Count);
        Assert.Equal("50%", cut.Find("[data-testid=pool-utilisation]").TextContent);
        Assert.Equal(3, cut.Find("[data-testid=pool-chart-svg]").QuerySelectorAll("path[data-series]").Length);
    }

    [Fact]
    public void Problem_page_shows_the_history()
    {
        Platform.Problems["countdown/7"] = new ProblemView("countdown", "7", "Use 3 5 7 to make 22", "22", 4, 32, 8, 2, ["3*5+7", "7+3*5"]);
        var cut = Render<ProblemsPage>(p => p.Add(x => x.Dataset, "countdown").Add(x => x.ProblemId, "7"));
        Assert.Equal("25.0%", cut.Find("[data-testid=problem-pass-rate]").TextContent);
        Assert.Equal(2, cut.FindAll("[data-testid=problem-solutions] li").Count);
    }
}
