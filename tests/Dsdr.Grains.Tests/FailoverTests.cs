using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Runner.Simulation;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

[Collection("cluster")]
public sealed class FailoverTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Trial_on_a_stopped_silo_resumes_from_its_checkpoint_on_another_node()
    {
        await using var h = await StartAsync([Node("node-a"), Node("node-b", Cpu(0))]);
        var plan = Plan(steps: 40, stepMs: 25, checkpointEvery: 5);
        await h.SubmitAsync("fo", [Trial("fo", "fo-t0", plan)]);
        var before = await h.WaitForTrialAsync("fo-t0", t => t.LastCheckpointStep >= 10, Timeout, "a checkpoint at step 10 or later");
        Assert.Equal("node-b/cpu:0", before.Lease!.SlotKey);

        await h.Client.GetGrain<ILearnerSlotGrain>("node-a/cpu:0").StartAsync(new SlotCapacity(DeviceKind.Cpu, 16));
        await h.Cluster.StopSiloAsync(h.SiloOf("node-b"));

        var done = await h.WaitForTrialAsync("fo-t0", t => t.Status == TrialStatus.Completed, Timeout, "the trial to complete on node-a");
        Assert.Equal(2, done.Attempt);
        Assert.Equal("node-b/cpu:0", done.Attempts[0].SlotKey);
        Assert.Equal("node-a/cpu:0", done.Attempts[1].SlotKey);
        var resumedFrom = done.Attempts[1].ResumedFromStep;
        Assert.True(resumedFrom >= 10, $"resumed from step {resumedFrom}");
        Assert.Equal(AttemptEnd.Interrupted, done.Attempts[0].Outcome);
        Assert.Contains("interrupted", done.Attempts[0].EndReason);

        var second = h.Log.Attempts.Single(a => a.Attempt == 2);
        Assert.Equal(resumedFrom, second.ResumedFromStep);
        Assert.Equal("completed", second.Outcome);
        // Every step ran; steps up to the checkpoint ran once, only the ones after it were replayed.
        for (var step = 1; step <= 40; step++)
        {
            var runs = h.Log.StepsRun.GetValueOrDefault(("fo-t0", step));
            Assert.True(step <= resumedFrom ? runs == 1 : runs is 1 or 2, $"step {step} ran {runs} time(s)");
        }
        // The in-memory metric sink kept every step once, replays included, with the runner's values.
        var metrics = h.Metrics.Of("fo-t0");
        Assert.Equal(ExpectedMetrics("fo-t0", plan).OrderBy(kv => kv.Key), metrics.OrderBy(kv => kv.Key));
        var pool = await h.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey).GetPoolAsync();
        Assert.Equal(SlotState.Offline, pool.Slots.Single(s => s.SlotKey == "node-b/cpu:0").State);
    }

    [Fact]
    public async Task Scheduler_that_loses_all_its_state_is_rebuilt_from_slot_heartbeats_and_the_trials()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0))]);
        await h.SubmitAsync("amnesia", Enumerable.Range(0, 3).Select(i => Trial("amnesia", $"am-{i}", Plan(steps: 15, stepMs: 20))));
        await h.WaitForTrialAsync("am-0", t => t.Status == TrialStatus.Running, Timeout, "the first trial to run");

        // The scheduler goes away and nothing it ever saved survives.
        h.Store.LosingWrites["scheduler"] = true;
        await h.Cluster.DeactivateAsync(h.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey));
        h.Store.Forget("scheduler");

        var done = await h.WaitForSweepAsync("amnesia", SweepStatus.Completed, Timeout);
        Assert.Equal(3, done.Completed);
        var trials = await h.Client.GetGrain<ISweepGrain>("amnesia").GetTrialsAsync();
        Assert.All(trials, t => Assert.Equal(1, t.Attempt)); // the running attempt was adopted, not lost
        Assert.Equal(3, h.Log.Attempts.Count);
    }

    [Fact]
    public async Task Slot_that_misses_heartbeats_loses_its_lease_and_the_trial_resumes_elsewhere()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0), Cpu(1))],
            o =>
            {
                // wide enough that a healthy attempt on a loaded CI machine (other test projects run beside it) keeps its lease
                o.RunnerStallTimeout = TimeSpan.FromMilliseconds(1000);
                o.LeaseTimeout = TimeSpan.FromMilliseconds(3000);
            });
        var hang = new SimulatedFault(Attempt: 1, AtStep: 13, SimulatedFaultKind.Hang, HangMilliseconds: 7000);
        await h.SubmitAsync("hb", [Trial("hb", "hb-t0", Plan(steps: 30, stepMs: 20, checkpointEvery: 5, hang))]);

        var done = await h.WaitForTrialAsync("hb-t0", t => t.Status == TrialStatus.Completed, Timeout, "the trial to complete after the hang");
        Assert.Equal(2, done.Attempt);
        Assert.NotEqual(done.Attempts[0].SlotKey, done.Attempts[1].SlotKey);
        Assert.Contains("lease expired", done.Attempts[0].EndReason);
        Assert.Equal(10, done.Attempts[1].ResumedFromStep);
        Assert.Equal(1, h.Log.StepsRun[("hb-t0", 10)]);
        Assert.Equal(2, h.Log.StepsRun[("hb-t0", 11)]);

        // Once its device recovers, the silent slot heartbeats again and rejoins the pool.
        var hungSlot = done.Attempts[0].SlotKey;
        await WaitForAsync(() => h.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey).GetPoolAsync(),
            p => p.Slots.Single(s => s.SlotKey == hungSlot).State == SlotState.Idle, Timeout, "the hung slot to come back");
        Assert.Equal("cancelled", h.Log.Attempts.Single(a => a.Attempt == 1).Outcome);
    }

    [Fact]
    public async Task A_sweep_is_queued_while_its_trials_wait_and_failed_when_its_only_trial_failed()
    {
        await using var h = await StartAsync([Node("node-a")]); // no slot yet: every trial waits
        var waits = await h.SubmitAsync("waits", [Trial("waits", "waits-t0", Plan(steps: 3, stepMs: 5))]);
        var fails = await h.SubmitAsync("fails", [Trial("fails", "fails-t0",
            Plan(steps: 10, stepMs: 5, checkpointEvery: 0, new SimulatedFault(1, 2, SimulatedFaultKind.Crash)))], maxAttempts: 1);
        Assert.Equal((SweepStatus.Queued, 1), (waits.Status, waits.Queued));
        Assert.Equal(SweepStatus.Queued, (await h.Client.GetGrain<ISweepGrain>("fails").GetProgressAsync()).Status);

        await h.Client.GetGrain<ILearnerSlotGrain>("node-a/cpu:0").StartAsync(new SlotCapacity(DeviceKind.Cpu, 16));
        Assert.Equal(1, (await h.WaitForSweepAsync("waits", SweepStatus.Completed, Timeout)).Completed);
        Assert.Equal((0, 1), ((await h.WaitForSweepAsync("fails", SweepStatus.Failed, Timeout)) is var p ? (p.Completed, p.Failed) : default));
    }

    [Fact]
    public async Task Failed_attempts_are_retried_from_the_checkpoint_until_attempts_run_out()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0))]);
        var crashOnce = Plan(steps: 10, stepMs: 5, checkpointEvery: 3, new SimulatedFault(1, 5, SimulatedFaultKind.Crash));
        var crashAlways = Plan(steps: 10, stepMs: 5, checkpointEvery: 3,
            new SimulatedFault(1, 2, SimulatedFaultKind.Crash), new SimulatedFault(2, 2, SimulatedFaultKind.Crash));
        await h.SubmitAsync("cr", [Trial("cr", "cr-once", crashOnce), Trial("cr", "cr-always", crashAlways)], maxAttempts: 2);

        var progress = await h.WaitForSweepAsync("cr", SweepStatus.CompletedWithFailures, Timeout);
        Assert.Equal((1, 1), (progress.Completed, progress.Failed));
        var once = await h.Client.GetGrain<ITrialGrain>("cr-once").GetAsync();
        Assert.Equal((TrialStatus.Completed, 2, 3), (once.Status, once.Attempt, once.Attempts[1].ResumedFromStep));
        // the failed attempt keeps its reason after the later attempt succeeded
        Assert.Equal([AttemptEnd.Failed, AttemptEnd.Completed], once.Attempts.Select(a => a.Outcome));
        Assert.Contains("simulated device fault", once.Attempts[0].EndReason);
        Assert.Null(once.Attempts[1].EndReason);
        var always = await h.Client.GetGrain<ITrialGrain>("cr-always").GetAsync();
        Assert.Equal((TrialStatus.Failed, 2), (always.Status, always.Attempt));
        Assert.Contains("simulated device fault", always.Error);
        Assert.Contains("attempt 2 of 2", always.Error);
    }

    [Fact]
    public async Task A_diverged_trial_fails_once_with_a_plain_sentence_while_a_device_fault_beside_it_is_retried()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0))]);
        // the divergence strikes attempt 1 only: were it retried, attempt 2 would complete and the test would see it
        var diverges = Plan(steps: 10, stepMs: 5, checkpointEvery: 3, new SimulatedFault(1, 4, SimulatedFaultKind.Diverge));
        var crashes = Plan(steps: 10, stepMs: 5, checkpointEvery: 3, new SimulatedFault(1, 4, SimulatedFaultKind.Crash));
        await h.SubmitAsync("dv", [Trial("dv", "dv-nan", diverges), Trial("dv", "dv-crash", crashes)], maxAttempts: 3);

        var progress = await h.WaitForSweepAsync("dv", SweepStatus.CompletedWithFailures, Timeout);
        Assert.Equal((1, 1), (progress.Completed, progress.Failed));
        var nan = await h.Client.GetGrain<ITrialGrain>("dv-nan").GetAsync();
        Assert.Equal((TrialStatus.Failed, 1), (nan.Status, nan.Attempt));
        Assert.Equal("Training diverged: the loss became NaN at update 4; lower the learning rate (base.learningRate) or check the training data.", nan.Error);
        Assert.Single(h.Log.Attempts, a => a.TrialId == "dv-nan");
        Assert.Equal("diverged", h.Log.Attempts.Single(a => a.TrialId == "dv-nan").Outcome);
        var crash = await h.Client.GetGrain<ITrialGrain>("dv-crash").GetAsync();
        Assert.Equal((TrialStatus.Completed, 2), (crash.Status, crash.Attempt));
        Assert.Equal([AttemptEnd.Failed, AttemptEnd.Completed], crash.Attempts.Select(a => a.Outcome));
    }
}
