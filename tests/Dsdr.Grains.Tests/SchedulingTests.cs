using Dsdr.Contracts;
using Dsdr.Grains.Simulation;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

[Collection("cluster")]
public sealed class SchedulingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Sweep_of_six_trials_completes_on_two_slots()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0), Cpu(1))]);
        var trials = Enumerable.Range(0, 6).Select(i => Trial("s6", $"s6-t{i}", Plan(steps: 6, stepMs: 15, checkpointEvery: 2))).ToList();

        var submitted = await h.SubmitAsync("s6", trials);
        Assert.Equal(6, submitted.Total);
        var done = await h.WaitForSweepAsync("s6", SweepStatus.Completed, Timeout);

        Assert.Equal(6, done.Completed);
        Assert.Equal(0, done.Failed + done.Cancelled + done.Queued + done.Running);
        var snapshots = await h.Client.GetGrain<ISweepGrain>("s6").GetTrialsAsync();
        Assert.All(snapshots, t =>
        {
            Assert.Equal(TrialStatus.Completed, t.Status);
            Assert.Equal(1, t.Attempt);
            Assert.Equal(6, t.Step);
            Assert.Equal(4, t.LastCheckpointStep);
        });
        var attempts = h.Log.Attempts;
        Assert.Equal(6, attempts.Count);
        Assert.Equal(["node-a/cpu:0", "node-a/cpu:1"], attempts.Select(a => a.SlotKey).Distinct().Order());
        // Never more than two attempts at once: each slot runs one at a time.
        foreach (var group in attempts.GroupBy(a => a.SlotKey))
        {
            var ordered = group.OrderBy(a => a.StartedAt).ToList();
            for (var i = 1; i < ordered.Count; i++) Assert.True(ordered[i].StartedAt >= ordered[i - 1].EndedAt);
        }
        var pool = await h.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey).GetPoolAsync();
        Assert.Equal(0, pool.QueuedTrials);
        Assert.All(pool.Slots, s => Assert.Equal(SlotState.Idle, s.State));
        Assert.All(pool.Slots, s => Assert.True(s.BusyTime > TimeSpan.Zero));
    }

    [Fact]
    public async Task Cancelling_a_sweep_stops_its_running_and_queued_trials()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0))]);
        var trials = Enumerable.Range(0, 3).Select(i => Trial("cx", $"cx-t{i}", Plan(steps: 500, stepMs: 10))).ToList();
        await h.SubmitAsync("cx", trials);
        var running = await WaitForAsync(
            async () => await h.Client.GetGrain<ISweepGrain>("cx").GetTrialsAsync(),
            ts => ts.Any(t => t.Status == TrialStatus.Running && t.Step >= 2), Timeout, "a trial running past step 2");

        var afterCancel = await h.Client.GetGrain<ISweepGrain>("cx").CancelAsync();
        Assert.Equal(3, afterCancel.Cancelled);
        Assert.Equal(SweepStatus.Cancelled, afterCancel.Status);

        var runningId = running.Single(t => t.Status == TrialStatus.Running).Descriptor!.TrialId;
        var ended = await WaitForAsync(() => Task.FromResult(h.Log.Attempts), a => a.Count == 1, Timeout, "the running attempt to stop");
        Assert.Equal(runningId, ended[0].TrialId);
        Assert.Equal("cancelled", ended[0].Outcome);
        Assert.True(ended[0].LastStep < 500);
        var pool = await WaitForAsync(() => h.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey).GetPoolAsync(),
            p => p.Slots.Single().State == SlotState.Idle, Timeout, "the slot to be idle again");
        Assert.Equal(0, pool.QueuedTrials);
        var trialsAfter = await h.Client.GetGrain<ISweepGrain>("cx").GetTrialsAsync();
        Assert.All(trialsAfter, t => Assert.Equal(TrialStatus.Cancelled, t.Status));
        Assert.Equal(1, trialsAfter.Single(t => t.Descriptor!.TrialId == runningId).Attempt);
        Assert.All(trialsAfter.Where(t => t.Descriptor!.TrialId != runningId), t => Assert.Equal(0, t.Attempt));
        Assert.Single(h.Log.Attempts); // the queued ones never started
    }
}
