using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Runner.Simulation;
using Dsdr.Storage;
using Dsdr.Storage.Repositories;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

/// <summary>
/// The platform on a real PostgreSQL (Dsdr.Storage's embedded server): grain state, reminders, step metrics and
/// the sweeps/trials tables all in the database, a fresh one per test.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresPlatformTests(PostgresServer postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    private async Task<ClusterHarness> StartAsync(IReadOnlyList<DsdrNodeOptions> nodes, Action<DsdrSchedulingOptions>? scheduling = null) =>
        await StartOnPostgresAsync(new PostgresSetup(await postgres.NewDatabaseAsync()), nodes, scheduling);

    [Fact]
    public async Task Sweep_of_six_trials_completes_on_two_slots_with_its_rows_and_metrics_in_postgres()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0), Cpu(1))]);
        var trials = Enumerable.Range(0, 6).Select(i => Trial("s6", $"s6-t{i}", Plan(steps: 6, stepMs: 15, checkpointEvery: 2))).ToList();

        await h.SubmitAsync("s6", trials);
        var done = await h.WaitForSweepAsync("s6", SweepStatus.Completed, Timeout);

        Assert.Equal((6, 0), (done.Completed, done.Failed + done.Cancelled + done.Queued + done.Running));
        var attempts = h.Log.Attempts;
        Assert.Equal(6, attempts.Count);
        Assert.Equal(["node-a/cpu:0", "node-a/cpu:1"], attempts.Select(a => a.SlotKey).Distinct().Order());
        foreach (var group in attempts.GroupBy(a => a.SlotKey))
        {
            var ordered = group.OrderBy(a => a.StartedAt).ToList();
            for (var i = 1; i < ordered.Count; i++) Assert.True(ordered[i].StartedAt >= ordered[i - 1].EndedAt);
        }

        var cs = h.ConnectionString!;
        // The web layer's view: the sweep and its trials from the tables.
        await using var database = DsdrDatabase.FromConnectionString(cs, migrate: false);
        var sweep = (await new SweepRepository(database).ListAsync()).Single();
        Assert.Equal(("s6", SweepStatus.Completed, 6L, 6L), (sweep.SweepId, sweep.Status, sweep.Trials, sweep.Completed));
        var rows = await new TrialRepository(database).ListBySweepAsync("s6");
        Assert.All(rows, r =>
        {
            Assert.Equal((TrialStatus.Completed, 1, 6, 4), (r.Status, r.Attempts, r.LastStep ?? -1, r.CheckpointStep ?? -1));
            Assert.NotNull(r.StartedAt);
            Assert.NotNull(r.FinishedAt);
            Assert.Null(r.SlotId);
        });
        await AssertMetricsCompleteAsync(cs, trials.Select(t => t.TrialId), steps: 6);
        Assert.Equal(6, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM orleans_grain_state WHERE state_name = 'trial'"));
    }

    [Fact]
    public async Task Cancelling_a_sweep_stops_its_trials_and_the_tables_say_so()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0))]);
        await h.SubmitAsync("cx", Enumerable.Range(0, 3).Select(i => Trial("cx", $"cx-t{i}", Plan(steps: 500, stepMs: 10))));
        var running = await WaitForAsync(() => h.Client.GetGrain<ISweepGrain>("cx").GetTrialsAsync(),
            ts => ts.Any(t => t.Status == TrialStatus.Running && t.Step >= 2), Timeout, "a trial running past step 2");
        var runningId = running.Single(t => t.Status == TrialStatus.Running).Descriptor!.TrialId;

        var afterCancel = await h.Client.GetGrain<ISweepGrain>("cx").CancelAsync();
        Assert.Equal((SweepStatus.Cancelled, 3), (afterCancel.Status, afterCancel.Cancelled));

        var ended = await WaitForAsync(() => Task.FromResult(h.Log.Attempts), a => a.Count == 1, Timeout, "the running attempt to stop");
        Assert.Equal((runningId, "cancelled"), (ended[0].TrialId, ended[0].Outcome));
        Assert.True(ended[0].LastStep < 500);
        await WaitForAsync(() => h.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey).GetPoolAsync(),
            p => p.Slots.Single().State == SlotState.Idle && p.QueuedTrials == 0, Timeout, "the slot to be idle and the queue empty");

        var cs = h.ConnectionString!;
        Assert.Equal("cancelled", await Db.ScalarAsync<string>(cs, "SELECT status FROM sweeps WHERE sweep_id = 'cx'"));
        var statuses = await Db.QueryAsync<(string TrialId, string Status, int Attempts)>(cs,
            "SELECT trial_id, status, attempts FROM trials WHERE sweep_id = 'cx' ORDER BY trial_id");
        Assert.All(statuses, s => Assert.Equal("cancelled", s.Status));
        Assert.Equal(1, statuses.Single(s => s.TrialId == runningId).Attempts);
        // The steps the cancelled attempt ran have their metrics; none beyond.
        var maxStep = await Db.ScalarAsync<int>(cs, "SELECT coalesce(max(step), 0) FROM metrics WHERE trial_id = @runningId", new { runningId });
        Assert.InRange(maxStep, 2, ended[0].LastStep);
    }

    [Fact]
    public async Task Trial_on_a_killed_silo_finishes_on_the_other_node_from_its_checkpoint_with_every_metric_stored_once()
    {
        await using var h = await StartAsync([Node("node-a"), Node("node-b", Cpu(0))]);
        await h.SubmitAsync("kill", [Trial("kill", "kill-t0", Plan(steps: 60, stepMs: 40, checkpointEvery: 5))]);
        var before = await h.WaitForTrialAsync("kill-t0", t => t.LastCheckpointStep >= 25, Timeout, "a checkpoint at step 25 or later");
        Assert.Equal("node-b/cpu:0", before.Lease!.SlotKey);

        await h.Client.GetGrain<ILearnerSlotGrain>("node-a/cpu:0").StartAsync(new SlotCapacity(DeviceKind.Cpu, 16));
        await h.Cluster.KillSiloAsync(h.SiloOf("node-b"));

        var done = await h.WaitForTrialAsync("kill-t0", t => t.Status == TrialStatus.Completed, TimeSpan.FromSeconds(60), "the trial to complete on node-a");
        Assert.True(done.Attempt == 2, "attempts: " + string.Join("; ", done.Attempts.Select(a => $"{a.Attempt} on {a.SlotKey} from {a.ResumedFromStep}: {a.Outcome} {a.EndReason}")));
        Assert.Equal(("node-b/cpu:0", "node-a/cpu:0"), (done.Attempts[0].SlotKey, done.Attempts[1].SlotKey));
        Assert.Matches("interrupted|lease expired", done.Attempts[0].EndReason);
        var resumedFrom = done.Attempts[1].ResumedFromStep;
        Assert.True(resumedFrom >= 25, $"resumed from step {resumedFrom}");
        Assert.All(Enumerable.Range(1, resumedFrom), step => Assert.Equal(1, h.Log.StepsRun[("kill-t0", step)]));

        // Steps replayed after the resume reported their metrics again; the table holds each (step, name) once.
        var cs = h.ConnectionString!;
        await AssertMetricsCompleteAsync(cs, ["kill-t0"], steps: 60);
        var row = await Db.QueryAsync<(string Status, int Attempts)>(cs, "SELECT status, attempts FROM trials WHERE trial_id = 'kill-t0'");
        Assert.Equal(("completed", 2), row.Single());
        // the lost attempt stays in the queryable copy with its slot, outcome and reason, beside the one that completed
        var attempts = await Db.QueryAsync<(int Attempt, string Slot, string Outcome, string? Reason)>(cs,
            "SELECT attempt, slot_id, outcome, reason FROM trial_attempts WHERE trial_id = 'kill-t0' ORDER BY attempt");
        Assert.Equal([(1, "node-b/cpu:0"), (2, "node-a/cpu:0")], attempts.Select(a => (a.Attempt, a.Slot)));
        Assert.Equal(done.Attempts[0].EndReason, attempts[0].Reason);
        Assert.Equal((done.Attempts[0].Outcome!.Value.ToString().ToLowerInvariant(), "completed"), (attempts[0].Outcome, attempts[1].Outcome));
    }

    [Fact]
    public async Task Two_sweeps_take_turns_on_a_shared_slot_and_each_runs_in_submission_order()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0))]);
        var plan = Plan(steps: 10, stepMs: 20);
        await h.SubmitAsync("fa", Enumerable.Range(0, 3).Select(i => Trial("fa", $"fa-{i}", plan)));
        await h.SubmitAsync("fb", Enumerable.Range(0, 3).Select(i => Trial("fb", $"fb-{i}", plan)));
        await h.WaitForSweepAsync("fa", SweepStatus.Completed, Timeout);
        await h.WaitForSweepAsync("fb", SweepStatus.Completed, Timeout);

        var order = h.Log.Attempts.OrderBy(a => a.StartedAt).Select(a => a.TrialId).ToList();
        Assert.Equal(["fa-0", "fb-0", "fa-1", "fb-1", "fa-2", "fb-2"], order);
        var sweeps = await Db.QueryAsync<(string SweepId, string Status)>(h.ConnectionString!, "SELECT sweep_id, status FROM sweeps ORDER BY sweep_id");
        Assert.Equal([("fa", "completed"), ("fb", "completed")], sweeps);
    }

    [Fact]
    public async Task Each_slot_lands_on_its_own_node()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0)), Node("node-b", Cpu(0))], o => o.NodeLookupTimeout = TimeSpan.FromSeconds(1));
        foreach (var node in new[] { "node-a", "node-b" })
        {
            var slot = await h.Client.GetGrain<ILearnerSlotGrain>($"{node}/cpu:0").GetAsync();
            Assert.Equal((node, true), (slot.SiloNode, slot.Online));
        }
        var unknown = await Assert.ThrowsAnyAsync<Exception>(() => h.Client.GetGrain<ILearnerSlotGrain>("node-z/cpu:0").GetAsync());
        Assert.Contains("node-z", unknown.Message);
        await h.SubmitAsync("two", Enumerable.Range(0, 4).Select(i => Trial("two", $"two-{i}", Plan(steps: 5, stepMs: 20))));
        await h.WaitForSweepAsync("two", SweepStatus.Completed, Timeout);
        Assert.Equal(["node-a/cpu:0", "node-b/cpu:0"], h.Log.Attempts.Select(a => a.SlotKey).Distinct().Order());
        await AssertMetricsCompleteAsync(h.ConnectionString!, Enumerable.Range(0, 4).Select(i => $"two-{i}"), steps: 5);
    }

    [Fact]
    public async Task Sweep_resumes_after_a_full_cluster_restart()
    {
        var setup = new PostgresSetup(await postgres.NewDatabaseAsync());
        Action<DsdrSchedulingOptions> fastReminders = o => o.SafetyReminderPeriod = TimeSpan.FromSeconds(2);
        var trials = Enumerable.Range(0, 3).Select(i => Trial("rs", $"rs-{i}", Plan(steps: 20, stepMs: 30, checkpointEvery: 5))).ToList();

        var first = await StartOnPostgresAsync(setup, [Node("node-a", Cpu(0))], fastReminders);
        try
        {
            await first.SubmitAsync("rs", trials);
            await first.WaitForTrialAsync("rs-0", t => t.Status == TrialStatus.Completed, Timeout, "the first trial to complete");
            await first.WaitForTrialAsync("rs-1", t => t.LastCheckpointStep >= 5, Timeout, "the second trial to checkpoint");
        }
        finally
        {
            await first.ShutDownAsync();
        }
        var attemptsBefore = setup.Log.Attempts.Count;

        await using var second = await StartOnPostgresAsync(setup, [Node("node-a", Cpu(0))], fastReminders);
        var done = await second.WaitForSweepAsync("rs", SweepStatus.Completed, Timeout);
        Assert.Equal(3, done.Completed);

        var snapshots = (await second.Client.GetGrain<ISweepGrain>("rs").GetTrialsAsync()).ToDictionary(t => t.Descriptor!.TrialId);
        Assert.Equal(1, snapshots["rs-0"].Attempt); // finished before the restart: not run again
        var resumed = snapshots["rs-1"];
        Assert.True(resumed.Attempt >= 2, $"rs-1 ran {resumed.Attempt} attempt(s)");
        Assert.True(resumed.Attempts[^1].ResumedFromStep >= 5, $"rs-1 resumed from step {resumed.Attempts[^1].ResumedFromStep}");
        Assert.True(setup.Log.Attempts.Count > attemptsBefore);
        await AssertMetricsCompleteAsync(second.ConnectionString!, trials.Select(t => t.TrialId), steps: 20);
        Assert.Equal("completed", await Db.ScalarAsync<string>(second.ConnectionString!, "SELECT status FROM sweeps WHERE sweep_id = 'rs'"));
    }

    [Fact]
    public async Task A_sweep_of_3000_trials_submitted_and_cancelled_leaves_nothing_queued_and_its_counts_agree_before_and_after_a_restart()
    {
        const int Trials = 3000;
        var setup = new PostgresSetup(await postgres.NewDatabaseAsync());
        Action<DsdrSchedulingOptions> fastReminders = o => o.SafetyReminderPeriod = TimeSpan.FromSeconds(2);
        var trials = Enumerable.Range(0, Trials).Select(i => Trial("big", $"big-{i:D5}", Plan(steps: 5, stepMs: 20))).ToList();
        var first = await StartOnPostgresAsync(setup, [Node("node-a", Cpu(0), Cpu(1))], fastReminders);
        SweepProgress cancelled;
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var submitted = await first.SubmitAsync("big", trials);
            var submitTime = clock.Elapsed;
            Assert.Equal(Trials, submitted.Total);
            await first.WaitForTrialAsync("big-00002", t => t.Status is TrialStatus.Running or TrialStatus.Completed, Timeout, "the first trials to run");
            clock.Restart();
            cancelled = await first.Client.GetGrain<ISweepGrain>("big").CancelAsync();
            var cancelTime = clock.Elapsed;
            Console.WriteLine($"large sweep: {Trials} trials submitted in {submitTime.TotalSeconds:F1} s, cancelled in {cancelTime.TotalSeconds:F1} s");
            Assert.Equal((SweepStatus.Cancelled, 0, 0, Trials), (cancelled.Status, cancelled.Queued, cancelled.Running, cancelled.Completed + cancelled.Cancelled + cancelled.Failed));
            await AssertCountsAsync(first, cancelled);
        }
        finally
        {
            await first.ShutDownAsync();
        }
        var attemptsBefore = setup.Log.Attempts.Count;

        await using var second = await StartOnPostgresAsync(setup, [Node("node-a", Cpu(0), Cpu(1))], fastReminders);
        var after = await second.Client.GetGrain<ISweepGrain>("big").GetProgressAsync();
        Assert.Equal(cancelled, after);
        await Task.Delay(TimeSpan.FromSeconds(3)); // a reminder period: nothing is started again
        await AssertCountsAsync(second, cancelled);
        Assert.Equal(attemptsBefore, setup.Log.Attempts.Count);
    }

    /// <summary>The grains, the scheduler and the sweeps/trials tables all tell the same counts, with nothing queued or running.</summary>
    private static async Task AssertCountsAsync(ClusterHarness h, SweepProgress expected)
    {
        await WaitForAsync(() => h.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey).GetPoolAsync(),
            p => p.QueuedTrials == 0 && p.Slots.All(s => s.State != SlotState.Busy), Timeout, "an empty queue and idle slots");
        var cs = h.ConnectionString!;
        var rows = await WaitForAsync(async () => await Db.QueryAsync<(string Status, long N)>(cs,
                "SELECT status, count(*) FROM trials WHERE sweep_id = 'big' GROUP BY status ORDER BY status"),
            r => r.All(x => x.Status is "completed" or "cancelled" or "failed"), Timeout, "the trials table to settle");
        var byStatus = rows.ToDictionary(r => r.Status, r => (int)r.N);
        Assert.Equal((expected.Completed, expected.Cancelled, expected.Failed),
            (byStatus.GetValueOrDefault("completed"), byStatus.GetValueOrDefault("cancelled"), byStatus.GetValueOrDefault("failed")));
        Assert.Equal("cancelled", await Db.ScalarAsync<string>(cs, "SELECT status FROM sweeps WHERE sweep_id = 'big'"));
    }

    /// <summary>Every step 0..<paramref name="steps"/> of each trial has each simulated metric (evaluations included) exactly once, with the value the runner computed.</summary>
    private static async Task AssertMetricsCompleteAsync(string connectionString, IEnumerable<string> trialIds, int steps)
    {
        foreach (var trialId in trialIds)
        {
            var rows = await Db.QueryAsync<(int Step, string Name, double Value)>(connectionString,
                "SELECT step, name, value FROM metrics WHERE trial_id = @trialId ORDER BY step, name", new { trialId });
            var expected = ExpectedMetrics(trialId, Plan(steps, 0))
                .Select(kv => (kv.Key.Step, kv.Key.Name, kv.Value))
                .OrderBy(r => r.Step).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
            Assert.Equal(expected.Count, rows.Count);
            Assert.Equal(expected, rows.Select(r => (r.Step, r.Name, r.Value)).OrderBy(r => r.Step).ThenBy(r => r.Name, StringComparer.Ordinal).ToList());
        }
    }
}
