using Dapper;
using Dsdr.Core.Results;
using Dsdr.Core.Runs;
using Dsdr.Storage.Repositories;

namespace Dsdr.Storage.Tests;

public sealed class RepositoryTests(PostgresFixture fixture) : DatabaseTest(fixture)
{
    private SweepRepository Sweeps => new(Database);
    private TrialRepository Trials => new(Database);

    private async Task SeedSweepAsync(string sweepId = "sw1", params (string Id, string Arm, string Row, int Seed)[] trials)
    {
        await Sweeps.InsertAsync(new NewSweep(sweepId, "ablation", """{"arms":["grpo","dsdr"]}"""));
        await Trials.InsertAsync(trials.Select(t => new NewTrial(t.Id, sweepId, t.Arm, t.Row, t.Seed, $$"""{"seed":{{t.Seed}}}""")));
    }

    [Fact]
    public async Task Sweeps_insert_once_get_list_with_counts_and_change_status()
    {
        Assert.True(await Sweeps.InsertAsync(new NewSweep("sw1", "first", """{"a":1}""")));
        Assert.False(await Sweeps.InsertAsync(new NewSweep("sw1", "again", """{"a":2}""")));
        await Trials.InsertAsync([new NewTrial("t1", "sw1", "grpo", "grpo", 0, "{}"), new NewTrial("t2", "sw1", "dsdr", "dsdr λd=0.01", 0, "{}")]);
        await Trials.StartAttemptAsync("t2", "node/cpu0", TimeSpan.FromMinutes(1));

        var sweep = await Sweeps.GetAsync("sw1");
        Assert.NotNull(sweep);
        Assert.Equal(("first", SweepStatus.Queued), (sweep.Name, sweep.Status));
        Assert.Equal(1, System.Text.Json.JsonDocument.Parse(sweep.Spec).RootElement.GetProperty("a").GetInt32());
        Assert.Null(await Sweeps.GetAsync("missing"));

        Assert.True(await Sweeps.SetStatusAsync("sw1", SweepStatus.Running));
        Assert.False(await Sweeps.SetStatusAsync("missing", SweepStatus.Running));
        var summary = Assert.Single(await Sweeps.ListAsync());
        Assert.Equal((SweepStatus.Running, 2L, 1L, 1L, 0L), (summary.Status, summary.Trials, summary.Queued, summary.Running, summary.Completed));
    }

    [Fact]
    public async Task Every_sweep_status_is_stored_as_its_name_and_read_back()
    {
        Assert.True(await Sweeps.InsertAsync(new NewSweep("sw-states", "states", "{}")));
        await using var connection = await Database.OpenConnectionAsync();
        foreach (var status in RunStatuses.SweepStatuses.Where(s => s != SweepStatus.NotSubmitted))
        {
            Assert.True(await Sweeps.SetStatusAsync("sw-states", status));
            Assert.Equal(status, (await Sweeps.GetAsync("sw-states"))!.Status);
            Assert.Equal(status, Assert.Single(await Sweeps.ListAsync(), s => s.SweepId == "sw-states").Status);
            Assert.Equal(status.Name(), await connection.ExecuteScalarAsync<string>("SELECT status FROM sweeps WHERE sweep_id = 'sw-states'"));
        }
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Sweeps.SetStatusAsync("sw-states", SweepStatus.NotSubmitted));
    }

    [Fact]
    public async Task Trials_insert_idempotently_and_follow_the_status_machine()
    {
        await SeedSweepAsync("sw1", ("a1b2c3d4e5f60708", "dsdr", "dsdr λd=0.01", 1));
        Assert.Equal(0, await Trials.InsertAsync([new NewTrial("a1b2c3d4e5f60708", "sw1", "dsdr", "dsdr λd=0.01", 1, "{}")]));
        const string id = "a1b2c3d4e5f60708";

        Assert.False(await Trials.CompleteAsync(id), "a queued trial cannot complete");
        Assert.True(await Trials.StartAttemptAsync(id, "n1/gpu0", TimeSpan.FromMinutes(5)));
        Assert.False(await Trials.StartAttemptAsync(id, "n2/gpu0", TimeSpan.FromMinutes(5)), "a running trial cannot be taken by another slot");
        Assert.True(await Trials.HeartbeatAsync(id, "n1/gpu0", step: 40, TimeSpan.FromMinutes(5)));
        Assert.False(await Trials.HeartbeatAsync(id, "n2/gpu0", step: 40, TimeSpan.FromMinutes(5)), "only the lease holder heartbeats");
        Assert.True(await Trials.SetCheckpointAsync(id, "/ckpt/40", 40));
        Assert.False(await Trials.SetCheckpointAsync(id, "/ckpt/20", 20), "an older checkpoint never replaces a newer one");

        Assert.True(await Trials.RequeueAsync(id, "slot lost"));
        Assert.True(await Trials.StartAttemptAsync(id, "n2/gpu0", TimeSpan.FromMinutes(5)));
        Assert.True(await Trials.CompleteAsync(id));
        Assert.False(await Trials.CancelAsync(id), "a completed trial stays completed");

        var trial = await Trials.GetAsync(id);
        Assert.NotNull(trial);
        Assert.Equal((TrialStatus.Completed, 2, 40, "/ckpt/40", 40), (trial.Status, trial.Attempts, trial.LastStep, trial.CheckpointPath, trial.CheckpointStep));
        Assert.Equal(("dsdr", "dsdr λd=0.01", 1), (trial.Arm, trial.Row, trial.Seed));
        Assert.Null(trial.SlotId);
        Assert.NotNull(trial.StartedAt);
        Assert.NotNull(trial.FinishedAt);
    }

    [Fact]
    public async Task Trials_fail_cancel_list_by_status_and_report_expired_leases()
    {
        await SeedSweepAsync("sw1", ("t1", "grpo", "grpo", 0), ("t2", "grpo", "grpo", 1), ("t3", "dapo", "dapo", 0));
        await Trials.StartAttemptAsync("t1", "s1", TimeSpan.FromMilliseconds(-1)); // lease already over
        await Trials.StartAttemptAsync("t2", "s2", TimeSpan.FromMinutes(5));
        Assert.True(await Trials.CancelAsync("t3"));

        Assert.Equal(["t1"], (await Trials.ListExpiredLeasesAsync()).Select(t => t.TrialId));
        Assert.Equal(["t1", "t2"], (await Trials.ListByStatusAsync(TrialStatus.Running)).Select(t => t.TrialId).Order());
        Assert.True(await Trials.FailAsync("t2", "out of memory"));
        var failed = await Trials.GetAsync("t2");
        Assert.Equal((TrialStatus.Failed, "out of memory"), (failed!.Status, failed.Error));
        Assert.True(await Trials.RequeueAsync("t2"), "a failed trial can be retried");
        Assert.Equal(["t1", "t2", "t3"], (await Trials.ListBySweepAsync("sw1")).Select(t => t.TrialId).Order());

        Assert.True(await Trials.DeleteAsync("t3"));
        Assert.Null(await Trials.GetAsync("t3"));
    }

    [Fact]
    public async Task A_synced_trial_keeps_every_attempt_and_its_failure_reasons_after_a_later_success()
    {
        await SeedSweepAsync("sw1", ("t1", "dapo", "dapo", 0), ("t2", "grpo", "grpo", 0));
        var t0 = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        const string native = "ExternalException: Unknown scalar type. (at Dsdr.Learning.Model.Qwen2RmsNorm.forward, Qwen2ForCausalLM.cs:391)";
        TrialAttemptRow First(DateTime? ended, string? outcome, string? reason) => new(1, "local/cpu:0", 0, t0, ended, outcome, reason);
        // attempt 1 running, then failed and requeued, then attempt 2 completes: each sync replaces what it knew
        Assert.True(await Trials.SyncAsync(Sync("t1", TrialStatus.Running, 1, [First(null, null, null)])));
        Assert.True(await Trials.SyncAsync(Sync("t1", TrialStatus.Queued, 1, [First(t0.AddMinutes(1), "failed", native)])));
        Assert.True(await Trials.SyncAsync(Sync("t1", TrialStatus.Completed, 2,
            [First(t0.AddMinutes(1), "failed", native), new TrialAttemptRow(2, "local/cpu:3", 40, t0.AddMinutes(2), t0.AddMinutes(9), "completed", null)])));

        var attempts = await Trials.ListAttemptsAsync("t1");
        Assert.Equal([1, 2], attempts.Select(a => a.Attempt));
        Assert.Equal(("local/cpu:0", "failed", native, t0.AddMinutes(1)), (attempts[0].SlotId, attempts[0].Outcome, attempts[0].Reason, attempts[0].EndedAt));
        Assert.Equal(("local/cpu:3", 40, "completed", (string?)null), (attempts[1].SlotId, attempts[1].ResumedFromStep, attempts[1].Outcome, attempts[1].Reason));
        var row = await Trials.GetAsync("t1");
        Assert.Equal((TrialStatus.Completed, 2, 1, native), (row!.Status, row.Attempts, row.FailedAttempts, row.LastFailure));
        var other = (await Trials.ListBySweepAsync("sw1")).Single(t => t.TrialId == "t2");
        Assert.Equal((0, (string?)null), (other.FailedAttempts, other.LastFailure));

        Assert.Contains("unknown outcome 'lost'", (await Assert.ThrowsAsync<ArgumentException>(() =>
            Trials.SyncAsync(Sync("t2", TrialStatus.Queued, 1, [First(t0, "lost", null)])))).Message);
        Assert.True(await Trials.DeleteAsync("t1"));
        Assert.Empty(await Trials.ListAttemptsAsync("t1"));

        static TrialSync Sync(string id, TrialStatus status, int attempts, IReadOnlyList<TrialAttemptRow> records) =>
            new(id, status, attempts, null, null, 40, null, null, null, records[0].StartedAt, null, records);
    }

    [Fact]
    public async Task Metric_series_keep_every_point_when_short_and_min_max_per_bucket_when_long()
    {
        await SeedSweepAsync("sw1", ("t1", "grpo", "grpo", 0));
        var metrics = new MetricRepository(Database);
        // loss: 1000 points of a gentle slope with one spike at step 500; reward: 10 points.
        var samples = Enumerable.Range(0, 1000).Select(s => new MetricSample("t1", s, "loss", s == 500 ? 99.0 : 1.0 - s / 2000.0))
            .Concat(Enumerable.Range(0, 10).Select(s => new MetricSample("t1", s * 10, "reward", s / 10.0)))
            .ToList();
        Assert.Equal(1010, await metrics.WriteAsync(samples));

        var series = await metrics.GetSeriesAsync(["t1"], ["loss", "reward"], maxPoints: 100);

        var reward = Assert.Single(series, s => s.Name == "reward");
        Assert.Equal(Enumerable.Range(0, 10).Select(s => new MetricPoint(s * 10, s / 10.0)), reward.Points);
        var loss = Assert.Single(series, s => s.Name == "loss");
        Assert.Equal(1000, loss.TotalPoints);
        Assert.InRange(loss.Points.Count, 50, 100);
        Assert.Contains(new MetricPoint(500, 99.0), loss.Points);             // the spike survives
        Assert.Equal(0, loss.Points[0].Step);                               // first bucket's maximum
        Assert.Equal(999, loss.Points[^1].Step);                            // last bucket's minimum
        Assert.True(loss.Points.Zip(loss.Points.Skip(1)).All(p => p.First.Step < p.Second.Step), "points are ordered by step");

        Assert.Equal(["loss", "reward"], await metrics.NamesAsync("t1"));
        var latest = await metrics.LatestAsync("t1");
        Assert.Contains(new MetricSample("t1", 999, "loss", 1.0 - 999 / 2000.0), latest);
        Assert.Contains(new MetricSample("t1", 90, "reward", 0.9), latest);
        var lastSteps = await metrics.LastStepsAsync(["t1", "no-such-trial"], "reward");
        Assert.Equal(new Dictionary<string, int> { ["t1"] = 90 }, lastSteps);
        Assert.Empty(await metrics.LastStepsAsync([], "reward"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => metrics.GetSeriesAsync(["t1"], ["loss"], maxPoints: 1));
    }

    [Fact]
    public async Task Result_table_takes_each_trials_final_eval_or_its_best_step()
    {
        await SeedSweepAsync("sw1", ("t1", "grpo", "grpo", 0), ("t2", "dsdr", "dsdr λd=0.01", 0));
        await SeedSweepAsync("other", ("x1", "grpo", "grpo", 0));
        var evals = new EvalRepository(Database);
        await evals.UpsertAsync(
        [
            new EvalRow("t1", 100, "math500", "pass@1", null, 0.30), new EvalRow("t1", 100, "math500", "pass@k", 8, 0.55),
            new EvalRow("t1", 200, "math500", "pass@1", null, 0.25), new EvalRow("t1", 200, "math500", "pass@k", 8, 0.60),
            new EvalRow("t2", 100, "math500", "pass@1", null, 0.35), new EvalRow("t2", 200, "math500", "pass@1", null, 0.40),
            new EvalRow("x1", 300, "math500", "pass@1", null, 0.99),
        ]);
        await evals.UpsertAsync([new EvalRow("t2", 200, "math500", "pass@1", null, 0.42)]); // a re-evaluation replaces the value

        var final = await evals.ResultTableAsync("sw1", EvalStepChoice.Final);
        Assert.Equal(
        [
            new TrialEvalRecord("t2", "dsdr", "dsdr λd=0.01", 0, 200, "math500", "pass@1", null, 0.42),
            new TrialEvalRecord("t1", "grpo", "grpo", 0, 200, "math500", "pass@1", null, 0.25),
            new TrialEvalRecord("t1", "grpo", "grpo", 0, 200, "math500", "pass@k", 8, 0.60),
        ], final);

        var best = await evals.ResultTableAsync("sw1", EvalStepChoice.BestAt("math500", "pass@1"));
        Assert.Equal([(100, 0.30), (100, 0.55)], best.Where(r => r.TrialId == "t1").Select(r => (r.Step, r.Value)));
        Assert.Equal([(200, 0.42)], best.Where(r => r.TrialId == "t2").Select(r => (r.Step, r.Value)));

        var atStep = await evals.ResultTableAsync("sw1", EvalStepChoice.AtStep(100));
        Assert.Equal([("t1", 0.30), ("t1", 0.55), ("t2", 0.35)], atStep.Select(r => (r.TrialId, r.Value)).Order());
        Assert.Empty(await evals.ResultTableAsync("sw1", EvalStepChoice.AtStep(150)));
        Assert.Empty(await evals.ResultTableAsync("sw1", EvalStepChoice.Final, completedOnly: true));
        Assert.Equal(4, (await evals.ListByTrialAsync("t1")).Count);
        await Assert.ThrowsAsync<ArgumentException>(() => evals.UpsertAsync([new EvalRow("t1", 1, "b", "m", 0, 1)]));
    }

    [Fact]
    public async Task Eval_figures_added_again_keep_their_first_value()
    {
        await SeedSweepAsync("sw1", ("t1", "dsdr", "dsdr", 0));
        var evals = new EvalRepository(Database);
        Assert.Equal(2, await evals.AddAsync([new EvalRow("t1", 10, "countdown", "avg", 16, 0.3), new EvalRow("t1", 10, "countdown", "pass1", null, 0.2)]));
        // A replayed step: the stored figures stay, a new one is added.
        Assert.Equal(1, await evals.AddAsync([new EvalRow("t1", 10, "countdown", "avg", 16, 0.9), new EvalRow("t1", 10, "countdown", "distinct", null, 2)]));
        Assert.Equal(new (string, int?, double)[] { ("avg", 16, 0.3), ("distinct", null, 2.0), ("pass1", null, 0.2) },
            (await evals.ListByTrialAsync("t1")).Select(e => (e.Metric, e.K, e.Value)).OrderBy(e => e.Metric, StringComparer.Ordinal));
        Assert.Equal(0, await evals.AddAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(() => evals.AddAsync([new EvalRow("t1", 1, "b", "m", 0, 1)]));
    }

    [Fact]
    public async Task Eval_problem_outcomes_are_stored_in_bulk_once_with_their_nulls_and_go_with_their_trial()
    {
        await SeedSweepAsync("sw1", ("t1", "dsdr", "dsdr", 0), ("t2", "grpo", "grpo", 0));
        var problems = new EvalProblemRepository(Database);
        var outcomes = Enumerable.Range(0, 300).Select(i => new ProblemEvalOutcome("countdown", $"p{i:D3}", i % 2 == 0, 16, i % 17, 16, i % 17,
            Math.Min(i % 17, 3), i % 5 == 0 ? null : 4, i % 3 == 0 ? null : 0.5 + i / 1000.0, i % 4 == 0 ? null : 0.25,
            i % 7 == 0 ? 0 : 8, i % 7 == 0 ? 0 : i % 9 % 9 / 2, 0, null, i % 7 == 0 ? null : 0.125)).ToList();
        Assert.Equal(300, await problems.AddAsync("t1", 50, outcomes));
        // a replayed evaluation with other values: the first rows stay, a new problem is added
        Assert.Equal(1, await problems.AddAsync("t1", 50, [outcomes[0] with { Pass1Correct = false }, outcomes[0] with { ProblemId = "extra" }]));
        await problems.AddAsync("t2", 50, outcomes.Take(2).ToList());

        var stored = await problems.ListByTrialAsync("t1");
        Assert.Equal(outcomes.Append(outcomes[0] with { ProblemId = "extra" }).OrderBy(o => o.ProblemId, StringComparer.Ordinal),
            stored.Select(r => r.Outcome));
        Assert.All(stored, r => Assert.Equal(("t1", 50), (r.TrialId, r.Step)));
        Assert.Equal(303, (await problems.ListAsync([("t1", 50), ("t2", 50), ("t1", 60)])).Count);

        Assert.Equal(0, await problems.AddAsync("t1", 60, []));
        await Assert.ThrowsAsync<ArgumentException>(() => problems.AddAsync("t1", 60, [outcomes[1] with { PassKCorrect = 17 }]));
        await Assert.ThrowsAsync<ArgumentException>(() => problems.AddAsync("", 60, outcomes));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => problems.AddAsync("no-such-trial", 60, outcomes)); // rows belong to a trial

        await Trials.DeleteAsync("t1");
        Assert.Empty(await problems.ListByTrialAsync("t1"));
        Assert.Equal(2, (await problems.ListByTrialAsync("t2")).Count);
    }

    [Fact]
    public async Task Rollout_groups_are_stored_replaced_and_listed_by_step()
    {
        await SeedSweepAsync("sw1", ("t1", "dsdr", "dsdr", 0));
        var groups = new RolloutGroupRepository(Database);
        var group = new RolloutGroupRecord("t1", 10, "countdown/17", 4, 1, 0.25,
            """[{"text":"3+4=7","reward":1},{"text":"3*4","reward":0}]""", """{"distinct":2}""");
        await groups.UpsertAsync(group);
        await groups.UpsertAsync(group with { ProblemId = "countdown/18", Correct = 0, MeanReward = 0 });
        await groups.UpsertAsync(group with { Step = 20 });
        await groups.UpsertAsync(group with { Correct = 2, MeanReward = 0.5 }); // the same key again replaces

        var stored = await groups.GetAsync("t1", 10, "countdown/17");
        Assert.NotNull(stored);
        Assert.Equal((2, 0.5), (stored.Correct, stored.MeanReward));
        Assert.Equal("3+4=7", System.Text.Json.JsonDocument.Parse(stored.RolloutsJson).RootElement[0].GetProperty("text").GetString());
        Assert.Equal(["countdown/17", "countdown/18"], (await groups.ListAsync("t1", 10)).Select(g => g.ProblemId));
        Assert.Equal(2, (await groups.ListSummariesAsync("t1", 10)).Count);
        Assert.Equal([10, 20], await groups.StepsAsync("t1"));
        Assert.Null(await groups.GetAsync("t1", 30, "countdown/17"));
    }

    [Fact]
    public async Task Problems_upsert_stats_accumulate_attempts_and_list_hardest_first()
    {
        var problems = new ProblemRepository(Database);
        await problems.UpsertAsync(new ProblemRow("countdown", "p1", "reach 24", "24", 10, 9, 3, DateTime.UtcNow));
        await problems.RecordAttemptsAsync("countdown", "p2", attempts: 8, correct: 1);
        await problems.RecordAttemptsAsync("countdown", "p2", attempts: 8, correct: 3);
        await problems.RecordAttemptsAsync("countdown", "p1", attempts: 10, correct: 1);
        await problems.UpsertAsync(new ProblemRow("countdown", "p3", null, null, 0, 0, 0, null));

        var p2 = await problems.GetAsync("countdown", "p2");
        Assert.Equal((16L, 4L, 0.25), (p2!.Attempts, p2.Correct, p2.PassRate));
        var p1 = await problems.GetAsync("countdown", "p1");
        Assert.Equal((20L, 10L, 3, "reach 24"), (p1!.Attempts, p1.Correct, p1.DistinctCorrect, p1.Prompt));
        Assert.Equal(["p2", "p1", "p3"], (await problems.ListAsync("countdown")).Select(p => p.ProblemId));
        await Assert.ThrowsAsync<ArgumentException>(() => problems.RecordAttemptsAsync("countdown", "p1", attempts: 1, correct: 2));
    }

    [Fact]
    public async Task Slots_register_heartbeat_go_offline_when_silent_and_are_removed()
    {
        var slots = new SlotRepository(Database);
        await slots.RegisterAsync(new SlotRegistration("n1/cuda0", "n1", "cuda:0", "cuda", 80L << 30));
        await slots.RegisterAsync(new SlotRegistration("n1/cpu", "n1", "cpu", "cpu", null));
        Assert.True(await slots.HeartbeatAsync("n1/cuda0", SlotStatus.Busy, "t1"));
        Assert.False(await slots.HeartbeatAsync("n9/cpu", SlotStatus.Idle, null));
        await using (var connection = await Database.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE slots SET heartbeat_at = now() - interval '10 minutes' WHERE slot_id = 'n1/cpu'");

        Assert.Equal(["n1/cpu"], await slots.MarkSilentOfflineAsync(TimeSpan.FromMinutes(1)));
        var all = await slots.ListAsync();
        Assert.Equal([("n1/cpu", SlotStatus.Offline, (string?)null), ("n1/cuda0", SlotStatus.Busy, "t1")],
            all.Select(s => (s.SlotId, s.Status, s.TrialId)).OrderBy(s => s.SlotId));
        Assert.Equal(80L << 30, all.Single(s => s.SlotId == "n1/cuda0").MemoryBytes);
        Assert.True(await slots.RemoveAsync("n1/cpu"));
        Assert.Single(await slots.ListAsync());
    }

    [Fact]
    public async Task Deleting_a_sweep_removes_its_trials_metrics_and_evals()
    {
        await SeedSweepAsync("sw1", ("t1", "grpo", "grpo", 0));
        await new MetricRepository(Database).WriteAsync([new MetricSample("t1", 1, "loss", 1.0)]);
        await new EvalRepository(Database).UpsertAsync([new EvalRow("t1", 1, "b", "pass@1", null, 0.5)]);

        Assert.True(await Sweeps.DeleteAsync("sw1"));

        Assert.Equal(0, await CountAsync("SELECT (SELECT count(*) FROM trials) + (SELECT count(*) FROM metrics) + (SELECT count(*) FROM evals)"));
    }
}
