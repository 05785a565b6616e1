using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Runner.Simulation;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

[Collection("cluster")]
public sealed class FairnessAndPlacementTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Higher_priority_sweep_runs_first()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0))]);
        var plan = Plan(steps: 10, stepMs: 20);
        await h.SubmitAsync("lo", Enumerable.Range(0, 3).Select(i => Trial("lo", $"lo-{i}", plan, priority: 0)));
        await h.SubmitAsync("hi", Enumerable.Range(0, 2).Select(i => Trial("hi", $"hi-{i}", plan, priority: 5)));
        await h.WaitForSweepAsync("lo", SweepStatus.Completed, Timeout);

        var order = h.Log.Attempts.OrderBy(a => a.StartedAt).Select(a => a.TrialId).ToList();
        Assert.Equal(["lo-0", "hi-0", "hi-1", "lo-1", "lo-2"], order);
    }

    [Fact]
    public async Task A_trial_only_runs_on_a_slot_that_meets_its_needs()
    {
        await using var h = await StartAsync([Node("node-a", Cpu(0, memoryGiB: 4), Cpu(1, memoryGiB: 32))]);
        var plan = Plan(steps: 3, stepMs: 10);
        await h.SubmitAsync("fit", [
            Trial("fit", "fit-big-0", plan, memoryGiB: 24), Trial("fit", "fit-big-1", plan, memoryGiB: 24),
            Trial("fit", "fit-small", plan, memoryGiB: 2),
            new TrialDescriptor("fit-gpu", "fit", "sim", "gpu", 1, plan.ToConfigJson(), new TrialNeeds(DeviceKind.Cuda, 8)),
        ]);
        await h.WaitForTrialAsync("fit-big-1", t => t.Status == TrialStatus.Completed, Timeout, "the big trials to complete");
        await h.WaitForTrialAsync("fit-small", t => t.Status == TrialStatus.Completed, Timeout, "the small trial to complete");

        Assert.All(h.Log.Attempts.Where(a => a.TrialId.StartsWith("fit-big", StringComparison.Ordinal)), a => Assert.Equal("node-a/cpu:1", a.SlotKey));
        Assert.Equal("node-a/cpu:0", h.Log.Attempts.Single(a => a.TrialId == "fit-small").SlotKey); // best fit: the small slot
        var gpu = await h.Client.GetGrain<ITrialGrain>("fit-gpu").GetAsync();
        Assert.Equal((TrialStatus.Queued, 0), (gpu.Status, gpu.Attempt)); // no CUDA slot: it waits
        var pool = await h.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey).GetPoolAsync();
        Assert.Equal(1, pool.QueuedTrials);
    }
}
