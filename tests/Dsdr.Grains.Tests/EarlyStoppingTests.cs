using System.Collections.Immutable;
using Dsdr.Contracts;
using Dsdr.Core.Results;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Sweeps;
using Dsdr.Runner.Simulation;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

/// <summary>The sweep's early-stopping rules acting on simulated trials: ASHA at its rungs, the diversity-collapse rule.</summary>
[Collection("cluster")]
public sealed class EarlyStoppingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static Task<SweepProgress> SubmitAsync(ClusterHarness h, string sweepId, IEnumerable<TrialDescriptor> trials, EarlyStoppingSpec rules) =>
        h.Client.GetGrain<ISweepGrain>(sweepId).SubmitAsync(new SweepSubmission(sweepId, sweepId, [.. trials], MaxAttempts: 1, EarlyStopping: rules));

    [Fact]
    public async Task Asha_stops_each_trial_outside_the_top_third_of_its_rung_and_the_rest_run_to_the_end()
    {
        // one slot: trials reach each rung one after another, so what ASHA decides follows from the order they ran in
        await using var h = await StartAsync([Node("n", Cpu(0))]);
        var plan = Plan(steps: 6, stepMs: 0, checkpointEvery: 1) with { EvalEvery = 0, RolloutGroupsPerStep = 0 };
        var asha = new AshaRule(SimulatedMetrics.RewardMean, [2, 4], ReductionFactor: 3);
        var ids = Enumerable.Range(0, 9).Select(i => $"asha-{i}").ToList();
        await SubmitAsync(h, "asha", ids.Select(id => Trial("asha", id, plan)), new EarlyStoppingSpec(asha));

        var progress = await h.WaitForSweepAsync("asha", SweepStatus.Completed, Timeout);
        var order = h.Log.Attempts.OrderBy(a => a.StartedAt).Select(a => a.TrialId).ToList();
        Assert.Equal(ids.Order(), order.Order());

        // replay asynchronous successive halving over the simulated values, in the order the trials reached the rungs
        var expectedStop = new Dictionary<string, int>();
        var atRung = asha.Rungs.ToDictionary(r => r, _ => new List<double>());
        foreach (var id in order)
            foreach (var rung in asha.Rungs)
            {
                var value = SimulatedMetrics.At(id, rung)[SimulatedMetrics.RewardMean];
                atRung[rung].Add(value);
                if (!asha.Continues(value, atRung[rung])) { expectedStop[id] = rung; break; }
            }
        Assert.InRange(expectedStop.Count, 2, 8); // the test means something: some stop, some finish

        Assert.Equal((9 - expectedStop.Count, expectedStop.Count, 0), (progress.Completed, progress.Stopped, progress.Failed));
        foreach (var id in ids)
        {
            var trial = await h.Client.GetGrain<ITrialGrain>(id).GetAsync();
            var stepsRun = Enumerable.Range(1, plan.Steps).Count(s => h.Log.StepsRun.ContainsKey((id, s)));
            if (expectedStop.TryGetValue(id, out var rung))
            {
                Assert.True(trial.Status == TrialStatus.Stopped, $"{id}: {trial.Status} {trial.Error}");
                Assert.StartsWith($"stopped by ASHA at rung {rung}: reward/mean = ", trial.Error);
                Assert.Equal(rung, stepsRun); // the runner stopped at the rung, not later
                Assert.Equal(rung, trial.LastCheckpointStep); // and kept its last checkpoint
                Assert.True(File.Exists(trial.LastCheckpointPath), trial.LastCheckpointPath);
                var attempt = Assert.Single(trial.Attempts);
                Assert.Equal((AttemptEnd.Cancelled, trial.Error), (attempt.Outcome, attempt.EndReason));
                Assert.Equal("cancelled", h.Log.Attempts.Single(a => a.TrialId == id).Outcome);
            }
            else
            {
                Assert.True(trial.Status == TrialStatus.Completed, $"{id}: {trial.Status} {trial.Error}");
                Assert.Equal(plan.Steps, stepsRun);
                Assert.Null(trial.Error);
            }
        }
    }

    [Fact]
    public async Task A_trial_whose_distinct_solutions_collapse_below_a_fraction_of_its_backbone_is_stopped_and_the_others_finish()
    {
        await using var h = await StartAsync([Node("n", Cpu(0), Cpu(1))]);
        var healthy = Plan(steps: 10, stepMs: 5, checkpointEvery: 2) with { EvalEvery = 2, RolloutGroupsPerStep = 0 };
        var collapsing = healthy with { CollapseAt = 4 };
        var metric = new EvalFigureKey(SimulatedMetrics.Benchmark, EvalMetrics.DistinctCorrect, null).MetricName;
        var rule = new DiversityCollapseRule(metric, Fraction: 0.8, Patience: 2);

        // what the rule must decide, from the simulated figures: the collapsing trial stops at its second evaluation after step 4
        double Distinct(string id, int step, SimulationPlan plan) => SimulatedMetrics.EvalAt(id, step, plan).Single(f => f.Key.MetricName == metric).Value;
        string? Decision(string id, SimulationPlan plan, int upTo) => rule.StopReason(
            [.. Enumerable.Range(1, upTo).Where(plan.EvaluatesAt).Select(s => (s, Distinct(id, s, plan)))], Distinct(id, 0, plan));
        Assert.Null(Decision("dc-healthy", healthy, healthy.Steps));
        Assert.Null(Decision("dc-collapse", collapsing, 4));
        Assert.True(Decision("dc-collapse", collapsing, 6) is not null, string.Join(", ", Enumerable.Range(0, 7).Where(collapsing.EvaluatesAt).Select(st => $"{st}: {Distinct("dc-collapse", st, collapsing):F3}")));

        await SubmitAsync(h, "dc", [Trial("dc", "dc-healthy", healthy), Trial("dc", "dc-collapse", collapsing)], new EarlyStoppingSpec(DiversityCollapse: rule));
        var progress = await h.WaitForSweepAsync("dc", SweepStatus.Completed, Timeout);
        Assert.Equal((1, 1), (progress.Completed, progress.Stopped));

        var stopped = await h.Client.GetGrain<ITrialGrain>("dc-collapse").GetAsync();
        Assert.Equal(TrialStatus.Stopped, stopped.Status);
        Assert.Equal(Decision("dc-collapse", collapsing, 6), stopped.Error);
        Assert.StartsWith("diversity collapse: ", stopped.Error);
        Assert.EndsWith("for 2 evaluations, steps 4, 6", stopped.Error);
        Assert.Equal(6, stopped.Step);
        Assert.False(h.Log.StepsRun.ContainsKey(("dc-collapse", 7)));
        Assert.Equal(6, stopped.LastCheckpointStep);
        Assert.Equal(TrialStatus.Completed, (await h.Client.GetGrain<ITrialGrain>("dc-healthy").GetAsync()).Status);
    }

    [Fact]
    public async Task A_queued_trial_can_be_stopped_and_a_finished_one_stays_as_it_ended()
    {
        await using var h = await StartAsync([Node("n")]); // no slot: the trial stays queued
        var rules = new EarlyStoppingSpec(new AshaRule(SimulatedMetrics.RewardMean, [2]));
        await SubmitAsync(h, "q", [Trial("q", "q-0", Plan(steps: 4, stepMs: 0))], rules);
        var sweep = h.Client.GetGrain<ISweepGrain>("q");
        var kept = (await sweep.GetEarlyStoppingAsync())!;
        Assert.Equal((rules.Asha!.Metric, rules.Asha.ReductionFactor, rules.Asha.Maximize, (DiversityCollapseRule?)null),
            (kept.Asha!.Metric, kept.Asha.ReductionFactor, kept.Asha.Maximize, kept.DiversityCollapse));
        Assert.Equal(rules.Asha.Rungs, kept.Asha.Rungs);
        var trial = await h.Client.GetGrain<ITrialGrain>("q-0").StopAsync("stopped by hand");
        Assert.Equal((TrialStatus.Stopped, "stopped by hand"), (trial.Status, trial.Error));
        Assert.Equal(TrialStatus.Stopped, (await h.Client.GetGrain<ITrialGrain>("q-0").StopAsync("again")).Status);
        Assert.Equal("stopped by hand", (await h.Client.GetGrain<ITrialGrain>("q-0").GetAsync()).Error);
        await h.WaitForSweepAsync("q", SweepStatus.Completed, Timeout);
        // a trial that ended is not judged any more (no rule stopped this one)
        Assert.Null(await sweep.ObserveAsync("q-0", 2, ImmutableDictionary<string, double>.Empty.Add(SimulatedMetrics.RewardMean, 0.1)));
    }

    [Fact]
    public void The_book_judges_a_trial_once_per_rung_keeps_its_verdict_and_keeps_only_the_backbone_and_the_latest_diversity_values()
    {
        var book = new EarlyStoppingBook { Rules = new EarlyStoppingSpec(new AshaRule("r", [5], ReductionFactor: 2), new DiversityCollapseRule("entropy", 0.5, 2)) };
        static Dictionary<string, double> R(double v) => new() { ["r"] = v };
        Assert.Null(book.Observe("a", 5, R(0.9)));
        Assert.NotNull(book.Observe("b", 5, R(0.8))); // 2 trials at the rung, the top 1/2 go on: b is the worse
        Assert.Equal(book.Stops["b"], book.Observe("b", 5, R(0.99))); // a replayed report keeps the verdict
        Assert.StartsWith("stopped by ASHA at rung 5: r = 0.8 ", book.Stops["b"]);
        Assert.Null(book.Observe("a", 5, R(0.1))); // a's first value stands
        Assert.Equal(0.9, book.Rungs[5]["a"]);
        Assert.Equal(["r", "entropy"], EarlyStoppingBook.WatchedAt(book.Rules, 5));
        Assert.Equal(["entropy"], EarlyStoppingBook.WatchedAt(book.Rules, 6));
        Assert.Empty(EarlyStoppingBook.WatchedAt(null, 5));

        foreach (var (step, value) in new[] { (1, 1.0), (2, 0.9), (3, 0.6), (4, 0.45) })
            Assert.Null(book.Observe("c", step, new Dictionary<string, double> { ["entropy"] = value }));
        Assert.Equal([1, 3, 4], book.Diversity["c"].Keys.Order()); // the backbone and the latest two
        var collapse = book.Observe("c", 5, new Dictionary<string, double> { ["entropy"] = 0.4 });
        Assert.StartsWith("diversity collapse: entropy below 50", collapse);
        Assert.EndsWith("of the backbone's 1 (< 0.5) for 2 evaluations, steps 4, 5", collapse);
    }

    [Fact]
    public async Task Invalid_rules_are_refused_at_submission()
    {
        await using var h = await StartAsync([Node("n")]);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => SubmitAsync(h, "bad", [Trial("bad", "bad-0", Plan(steps: 4, stepMs: 0))],
            new EarlyStoppingSpec(new AshaRule("reward/mean", [3, 2], ReductionFactor: 1))));
        Assert.Contains("asha.reductionFactor", e.Message);
        Assert.Contains("asha.rungs[1]", e.Message);
        Assert.Equal(SweepStatus.NotSubmitted, (await h.Client.GetGrain<ISweepGrain>("bad").GetProgressAsync()).Status);
    }
}
