using Dsdr.Contracts;
using Dsdr.Core.Results;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Running;
using Dsdr.Runner.Simulation;
using Dsdr.Silo.Postgres;
using Dsdr.Storage;
using Dsdr.Storage.Ingest;
using Dsdr.Storage.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using static Dsdr.Grains.Tests.ClusterHarness;
using RolloutGroupRecord = Dsdr.Contracts.RolloutGroupRecord;

namespace Dsdr.Grains.Tests;

/// <summary>
/// The tables the web layer reads beyond sweeps/trials/metrics (evals, rollout groups, problems, slots), filled
/// by the silo's PostgreSQL services on a real database, idempotently when a step is replayed.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresDataPathTests(PostgresServer postgres)
{
    [Fact]
    public async Task Eval_metrics_land_in_metrics_and_evals_once_and_feed_the_result_table()
    {
        var cs = await postgres.NewDatabaseAsync();
        await using var database = DsdrDatabase.FromConnectionString(cs, migrate: false);
        await new SweepRepository(database).InsertAsync(new NewSweep("ev", "ev", "{}"));
        await new TrialRepository(database).InsertAsync([new NewTrial("ev-t0", "ev", "dsdr", "dsdr", 1, "{}")]);
        var evals = new EvalRepository(database);
        await using var ingestor = new MetricIngestor(database);
        var problems = new EvalProblemRepository(database);
        var sink = new PostgresTrialMetricSink(ingestor, evals, problems);

        static EvalFigureValue Figure(string metric, int? k, double value) => new(new EvalFigureKey("countdown", metric, k), value);
        await sink.WriteAsync("ev-t0", 10, new Dictionary<string, double> { ["loss"] = 0.5 });
        await sink.WriteEvalFiguresAsync("ev-t0", 10, [Figure("pass1", null, 0.25), Figure("avg", 16, 0.3), Figure("pass", 16, 0.75)]);
        // The step replayed after a resume with other values: both tables keep the first ones.
        await sink.WriteEvalFiguresAsync("ev-t0", 10, [Figure("avg", 16, 0.9), Figure("distinct", null, 2)]);
        await sink.FlushAsync();
        // A step metric named as a figure is refused: figures travel typed, never parsed back from a name.
        var named = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await sink.WriteAsync("ev-t0", 11, new Dictionary<string, double> { ["eval/countdown/pass1"] = 0.5 }));
        Assert.Contains("ReportEvalFiguresAsync", named.Message, StringComparison.Ordinal);

        var rows = (await evals.ListByTrialAsync("ev-t0")).OrderBy(e => e.Metric, StringComparer.Ordinal).ToList();
        Assert.Equal(
            [new EvalRow("ev-t0", 10, "countdown", "avg", 16, 0.3), new EvalRow("ev-t0", 10, "countdown", "distinct", null, 2),
             new EvalRow("ev-t0", 10, "countdown", "pass", 16, 0.75), new EvalRow("ev-t0", 10, "countdown", "pass1", null, 0.25)],
            rows);
        var metrics = (await Db.QueryAsync<(string Name, double Value)>(cs, "SELECT name, value FROM metrics WHERE trial_id = 'ev-t0'"))
            .OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        Assert.Equal([("eval/countdown/avg@16", 0.3), ("eval/countdown/distinct", 2), ("eval/countdown/pass1", 0.25), ("eval/countdown/pass@16", 0.75), ("loss", 0.5)],
            metrics);

        var table = await evals.ResultTableAsync("ev", EvalStepChoice.Final);
        Assert.Contains(new TrialEvalRecord("ev-t0", "dsdr", "dsdr", 1, 10, "countdown", "avg", 16, 0.3), table);
        Assert.Equal(4, table.Count);

        // The per-problem rows behind the figures: stored in one bulk write, a replay with other values keeps the first.
        ProblemEvalOutcome Outcome(string id, bool pass1, int correct, double? similarity) =>
            new("countdown", id, pass1, 4, correct, 4, correct, Math.Min(correct, 2), 3, similarity, null, 8, 5, 3, 0.5, null);
        IReadOnlyList<ProblemEvalOutcome> first = [Outcome("p1", true, 3, 0.8), Outcome("p2", false, 0, null)];
        await sink.WriteEvalProblemsAsync("ev-t0", 10, first);
        await sink.WriteEvalProblemsAsync("ev-t0", 10, [Outcome("p1", false, 1, 0.1), Outcome("p3", true, 4, 0.9)]);
        var stored = await problems.ListByTrialAsync("ev-t0");
        Assert.Equal([new TrialProblemRecord("ev-t0", 10, first[0]), new TrialProblemRecord("ev-t0", 10, first[1]),
            new TrialProblemRecord("ev-t0", 10, Outcome("p3", true, 4, 0.9))], stored);
        Assert.Equal(stored, await problems.ListAsync([("ev-t0", 10), ("ev-t0", 11), ("nope", 10)]));
        await Assert.ThrowsAsync<ArgumentException>(async () => await sink.WriteEvalProblemsAsync("ev-t0", 12, [first[0] with { AvgCorrect = 5 }]));
    }

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task A_simulated_trial_fills_evals_rollout_groups_problems_and_slots()
    {
        await using var h = await StartOnPostgresAsync(new PostgresSetup(await postgres.NewDatabaseAsync()), [Node("node-a", Cpu(0, memoryGiB: 8))]);
        var plan = Plan(steps: 10, stepMs: 20, checkpointEvery: 5) with { RolloutGroupsPerStep = 2 };
        await h.SubmitAsync("dp", [Trial("dp", "dp-t0", plan)]);
        await h.WaitForSweepAsync("dp", SweepStatus.Completed, Timeout);

        var cs = h.ConnectionString!;
        await using var database = DsdrDatabase.FromConnectionString(cs, migrate: false);
        await AssertTrialDataAsync(h, database, "dp-t0", plan);

        // The slot registered with its node and memory; idle again once the trial is done.
        var slots = new SlotRepository(database);
        var slot = await WaitForAsync(async () => (await slots.ListAsync()).Single(), s => s.Status == SlotStatus.Idle && s.TrialId is null,
            Timeout, "the slot's row to be idle");
        Assert.Equal(("node-a/cpu:0", "node-a", "cpu:0", "cpu", 8L << 30), (slot.SlotId, slot.Node, slot.Device, slot.Kind, slot.MemoryBytes ?? 0));

        // Stopping the slot marks it offline.
        await h.Client.GetGrain<ILearnerSlotGrain>("node-a/cpu:0").StopAsync();
        Assert.Equal(SlotStatus.Offline, (await slots.ListAsync()).Single().Status);
    }

    [Fact]
    public async Task A_trial_resumed_on_another_node_stores_each_eval_group_and_problem_count_once_and_the_dead_slot_goes_offline()
    {
        await using var h = await StartOnPostgresAsync(new PostgresSetup(await postgres.NewDatabaseAsync()), [Node("node-a"), Node("node-b", Cpu(0))]);
        var plan = Plan(steps: 30, stepMs: 40, checkpointEvery: 5) with { EvalEvery = 3 };
        await h.SubmitAsync("rp", [Trial("rp", "rp-t0", plan)]);
        await h.WaitForTrialAsync("rp-t0", t => t.LastCheckpointStep >= 10, Timeout, "a checkpoint at step 10 or later");
        await using var database = DsdrDatabase.FromConnectionString(h.ConnectionString!, migrate: false);
        var slots = new SlotRepository(database);
        await WaitForAsync(async () => (await slots.ListAsync()).Single(), s => s.Status == SlotStatus.Busy && s.TrialId == "rp-t0",
            Timeout, "node-b's slot row to show the trial");

        await h.Client.GetGrain<ILearnerSlotGrain>("node-a/cpu:0").StartAsync(new SlotCapacity(DeviceKind.Cpu, 16));
        // Kill node-b once it has run past its last recorded checkpoint, so the resumed attempt replays steps.
        await h.WaitForTrialAsync("rp-t0", t => t.Step > t.LastCheckpointStep, Timeout, "node-b to run past its last checkpoint");
        await h.Cluster.KillSiloAsync(h.SiloOf("node-b"));

        var done = await h.WaitForTrialAsync("rp-t0", t => t.Status == TrialStatus.Completed, TimeSpan.FromSeconds(60), "the trial to complete on node-a");
        Assert.Equal(2, done.Attempt);
        var resumedFrom = done.Attempts[1].ResumedFromStep;
        Assert.Contains(Enumerable.Range(resumedFrom + 1, 30 - resumedFrom), step => h.Log.StepsRun[("rp-t0", step)] == 2); // some steps were replayed
        await AssertTrialDataAsync(h, database, "rp-t0", plan);

        // The killed silo's slot could not say it stopped: the scheduler marks it offline. node-a's slot frees itself just
        // after the trial records its end, and its row follows on its next beat.
        var rows = await WaitForAsync(() => slots.ListAsync(), r => r.Count == 2 && r.Single(s => s.SlotId == "node-b/cpu:0").Status == SlotStatus.Offline
            && r.Single(s => s.SlotId == "node-a/cpu:0").Status == SlotStatus.Idle, Timeout, "node-b's slot row to be offline and node-a's idle");
        Assert.Null(rows.Single(s => s.SlotId == "node-a/cpu:0").TrialId);
    }

    [Fact]
    public async Task Killing_the_silo_that_holds_the_rollout_group_grains_mid_trial_leaves_every_group_recorded_once()
    {
        // Random placement spreads the group and problem grains over both silos (the default, resource-optimised placement
        // keeps them beside the calling slot in one process); the slot is on node-a, so node-b's death takes grains the
        // reporter is calling, not the attempt. A lease long enough for membership to declare node-b dead lets the
        // reporter's retry carry the reports across.
        await using var h = await StartOnPostgresAsync(new PostgresSetup(await postgres.NewDatabaseAsync()), [Node("node-a", Cpu(0)), Node("node-b")],
            o => o.LeaseTimeout = TimeSpan.FromSeconds(15),
            silo => silo.Services.AddSingleton<PlacementStrategy, RandomPlacement>());
        const string trialId = "kg-t0";
        var plan = Plan(steps: 40, stepMs: 40, checkpointEvery: 5) with { RolloutGroupsPerStep = 4, EvalEvery = 10 };
        await h.SubmitAsync("kg", [Trial("kg", trialId, plan)]);

        var nodeB = h.SiloOf("node-b").SiloAddress;
        var management = h.Client.GetGrain<IManagementGrain>(0);
        async Task<int> GroupsOnNodeB()
        {
            var step = (await h.Client.GetGrain<ITrialGrain>(trialId).GetAsync()).Step;
            var onB = 0;
            foreach (var group in Enumerable.Range(1, step).SelectMany(s => Enumerable.Range(0, plan.RolloutGroupsPerStep).Select(g => SimulatedRollouts.Group(trialId, s, g))))
                if (nodeB.Equals(await management.GetActivationAddress(h.Client.GetGrain<IRolloutGroupGrain>(GrainKeys.RolloutGroup(trialId, group.Step, group.ProblemKey)))))
                    onB++;
            return onB;
        }
        await h.WaitForTrialAsync(trialId, t => t.Step >= 8, Timeout, "step 8");
        var onNodeB = await WaitForAsync(GroupsOnNodeB, n => n > 0, Timeout, "a rollout group grain of the trial on node-b");
        var killedAt = (await h.Client.GetGrain<ITrialGrain>(trialId).GetAsync()).Step;
        await h.Cluster.KillSiloAsync(h.SiloOf("node-b"));
        await h.Cluster.StartAdditionalSiloAsync(); // the restart: a fresh silo (no devices) joins in its place

        var done = await h.WaitForTrialAsync(trialId, t => t.Status == TrialStatus.Completed, TimeSpan.FromSeconds(90), "the trial to complete");
        Console.WriteLine($"killed node-b at step {killedAt} holding {onNodeB} of the trial's group grains; attempts: " +
            string.Join(", ", done.Attempts.Select(a => $"{a.SlotKey} from {a.ResumedFromStep}: {a.Outcome} {a.EndReason}")));
        Assert.True(killedAt < plan.Steps - 5, $"node-b was killed at step {killedAt}, too late to matter");
        // One attempt: the group reports (and the checkpoints) in flight to node-b were retried until their grains lived again.
        Assert.Equal(1, done.Attempt);

        // The grains: every group of every step holds its record, and each problem counts each of its groups once.
        var expected = Enumerable.Range(1, plan.Steps)
            .SelectMany(step => Enumerable.Range(0, plan.RolloutGroupsPerStep).Select(g => SimulatedRollouts.Group(trialId, step, g))).ToList();
        foreach (var group in expected)
        {
            var record = await h.Client.GetGrain<IRolloutGroupGrain>(GrainKeys.RolloutGroup(trialId, group.Step, group.ProblemKey)).GetAsync();
            AssertSameGroup(group, record ?? throw new Xunit.Sdk.XunitException($"no record for step {group.Step}, {group.ProblemKey}"));
        }
        // The tables: each group once, each problem's counts the sum over its groups, equal to the grain's history.
        await using var database = DsdrDatabase.FromConnectionString(h.ConnectionString!, migrate: false);
        await AssertTrialDataAsync(h, database, trialId, plan);
    }

    [Fact]
    public void A_stored_group_reads_back_as_the_record_it_was_made_from()
    {
        var group = SimulatedRollouts.Group("rt-t0", 7, 1);
        var row = RolloutGroupRows.ToRow(group);
        Assert.Equal((group.ProblemKey, SimulatedRollouts.GroupSize, group.Rollouts.Count(r => r.Correct)), (row.ProblemId, row.GroupSize, row.Correct));
        Assert.Equal(group.Rollouts.Average(r => r.Reward), row.MeanReward, 12);
        AssertSameGroup(group, RolloutGroupRows.FromRow(row));
        var summary = RolloutGroupRows.SummaryOf(row.SummaryJson);
        Assert.Equal((group.Prompt, group.Gold), (summary.Prompt, summary.Gold));
        Assert.Throws<FormatException>(() => RolloutGroupRows.SummaryOf("{\"gold\":\"3\"}"));
    }

    /// <summary>
    /// What the simulated runner reported for the trial is in the tables exactly once: every evaluation figure (also a metric),
    /// every rollout group (readable back as the record), and each problem's counts summed over the trial's groups.
    /// </summary>
    private static async Task AssertTrialDataAsync(ClusterHarness h, DsdrDatabase database, string trialId, SimulationPlan plan)
    {
        var evalSteps = Enumerable.Range(0, plan.Steps + 1).Where(plan.EvaluatesAt).ToList();
        var expectedEvals = evalSteps
            .SelectMany(step => SimulatedMetrics.EvalAt(trialId, step, plan).Select(f =>
                new EvalRow(trialId, step, f.Key.Benchmark, f.Key.Metric, f.Key.K, f.Value)))
            .OrderBy(e => e.Step).ThenBy(e => e.Metric, StringComparer.Ordinal).ThenBy(e => e.K).ToList();
        var evals = new EvalRepository(database);
        var stored = (await evals.ListByTrialAsync(trialId)).OrderBy(e => e.Step).ThenBy(e => e.Metric, StringComparer.Ordinal).ThenBy(e => e.K).ToList();
        Assert.Equal(expectedEvals, stored);
        // pass1, avg@16, pass@1…16 (5), distinct, solutionsFound, two similarities, three diversity-temperature figures
        Assert.Equal(14, stored.Count(e => e.Step == plan.Steps));

        // Every evaluation's per-problem rows are stored once (a replayed evaluation too), and each figure is their mean.
        var outcomes = await new EvalProblemRepository(database).ListByTrialAsync(trialId);
        Assert.Equal(evalSteps.SelectMany(step => SimulatedMetrics.ProblemsAt(trialId, step, plan).Select(o => new TrialProblemRecord(trialId, step, o))),
            outcomes);
        foreach (var figure in stored)
        {
            var atStep = outcomes.Where(o => o.Step == figure.Step).Select(o => o.Outcome).ToList();
            Assert.Equal(figure.Value, ProblemFigures.Mean(atStep, new MetricKey(figure.Metric, figure.K))!.Value, 12);
        }
        var sweepId = (await new TrialRepository(database).GetAsync(trialId))!.SweepId;
        var table = await evals.ResultTableAsync(sweepId, EvalStepChoice.Final);
        Assert.Equal(expectedEvals.Where(e => e.Step == plan.Steps).Select(e => (e.Metric, e.K, e.Value)).Order(), table.Select(r => (r.Metric, r.K, r.Value)).Order());

        var groups = new RolloutGroupRepository(database);
        Assert.Equal(Enumerable.Range(1, plan.Steps), await groups.StepsAsync(trialId));
        var expectedGroups = Enumerable.Range(1, plan.Steps)
            .SelectMany(step => Enumerable.Range(0, plan.RolloutGroupsPerStep).Select(g => SimulatedRollouts.Group(trialId, step, g))).ToList();
        var storedGroups = new List<RolloutGroupRecord>();
        foreach (var step in Enumerable.Range(1, plan.Steps))
            storedGroups.AddRange((await groups.ListAsync(trialId, step)).Select(RolloutGroupRows.FromRow));
        Assert.Equal(expectedGroups.Count, storedGroups.Count);
        foreach (var expected in expectedGroups)
            AssertSameGroup(expected, storedGroups.Single(g => g.Step == expected.Step && g.ProblemKey == expected.ProblemKey));

        // Problem counts: the sum over this trial's groups (replayed steps counted once), equal to the Problem grain's history.
        var problems = new ProblemRepository(database);
        foreach (var byProblem in expectedGroups.GroupBy(g => g.ProblemKey))
        {
            var (dataset, problemId) = PostgresRolloutMirror.SplitProblemKey(byProblem.Key);
            var row = await problems.GetAsync(dataset, problemId) ?? throw new Xunit.Sdk.XunitException($"no problems row for {byProblem.Key}");
            var history = await h.Client.GetGrain<IProblemGrain>(byProblem.Key).GetAsync();
            var attempts = byProblem.Sum(g => g.Rollouts.Length);
            var correct = byProblem.Sum(g => g.Rollouts.Count(r => r.Correct));
            Assert.Equal((attempts, correct), ((int)row.Attempts, (int)row.Correct));
            Assert.Equal((history.Attempts, history.Solved, history.DistinctCorrectSolutions), ((int)row.Attempts, (int)row.Correct, row.DistinctCorrect));
            Assert.Equal(byProblem.Count(), history.Groups);
            Assert.Equal((byProblem.First().Prompt, byProblem.First().Gold), (row.Prompt, row.Answer));
            Assert.NotNull(row.LastSeenAt);
        }
        Assert.Equal(expectedGroups.Select(g => g.ProblemKey).Distinct().Count(), (await problems.ListAsync(SimulatedRollouts.Dataset, limit: 1000)).Count);
    }

    private static void AssertSameGroup(RolloutGroupRecord expected, RolloutGroupRecord actual)
    {
        Assert.Equal(expected with { Rollouts = default }, actual with { Rollouts = default });
        Assert.Equal(expected.Rollouts.ToArray(), actual.Rollouts.ToArray());
    }
}
