using Dsdr.Contracts;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Scheduling;

namespace Dsdr.Grains.Tests;

public sealed class FairQueueTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    private static QueuedTrial Q(string sweep, int index, int priority = 0, double memory = 4, int attempt = 1, DeviceKind device = DeviceKind.Cuda) =>
        new($"{sweep}-{index}", sweep, priority, new TrialNeeds(device, memory), attempt, T0, index);

    private static List<string> Drain(FairQueue queue, Func<QueuedTrial, bool>? canRun = null)
    {
        var taken = new List<string>();
        while (queue.TakeNext(canRun ?? (_ => true)) is { } t) taken.Add(t.TrialId);
        return taken;
    }

    [Fact]
    public void Sweeps_take_turns_and_each_is_first_in_first_out()
    {
        var q = new FairQueue();
        foreach (var i in new[] { 0, 1, 2 }) q.Enqueue(Q("a", i));
        foreach (var i in new[] { 0, 1 }) q.Enqueue(Q("b", i));
        // b arrived last, so it has had no turn yet and goes first.
        Assert.Equal(["b-0", "a-0", "b-1", "a-1", "a-2"], Drain(q));
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public void Higher_priority_is_served_before_lower_and_round_robin_holds_within_a_priority()
    {
        var q = new FairQueue();
        q.Enqueue(Q("low", 0));
        q.Enqueue(Q("low", 1));
        q.Enqueue(Q("hi1", 0, priority: 2));
        q.Enqueue(Q("hi2", 0, priority: 2));
        q.Enqueue(Q("hi1", 1, priority: 2));
        Assert.Equal(["hi2-0", "hi1-0", "hi1-1", "low-0", "low-1"], Drain(q));
    }

    [Fact]
    public void Trials_enqueued_out_of_order_run_by_their_index_in_the_sweep()
    {
        var q = new FairQueue();
        foreach (var i in new[] { 3, 0, 2, 1 }) q.Enqueue(Q("a", i));
        Assert.Equal(["a-0", "a-1", "a-2", "a-3"], Drain(q));
    }

    [Fact]
    public void A_requeued_attempt_goes_to_the_front_of_its_sweep()
    {
        var q = new FairQueue();
        q.Enqueue(Q("a", 0));
        q.Enqueue(Q("a", 1));
        q.Enqueue(Q("a", 5, attempt: 2), atFront: true);
        Assert.Equal(["a-5", "a-0", "a-1"], Drain(q));
    }

    [Fact]
    public void Only_trials_the_slot_can_run_are_taken_keeping_fifo_among_them()
    {
        var q = new FairQueue();
        q.Enqueue(Q("a", 0, memory: 40));
        q.Enqueue(Q("a", 1, memory: 8));
        q.Enqueue(Q("a", 2, memory: 40));
        q.Enqueue(Q("a", 3, memory: 8));
        var small = new SlotCapacity(DeviceKind.Cuda, 16);
        Assert.Equal(["a-1", "a-3"], Drain(q, t => t.Needs.FitsIn(small)));
        Assert.Equal(2, q.Count);
        Assert.Null(q.TakeNext(t => t.Needs.FitsIn(new SlotCapacity(DeviceKind.Cpu, 64))));
        Assert.Equal(["a-0", "a-2"], Drain(q));
    }

    [Fact]
    public void Enqueueing_a_trial_again_replaces_it_and_remove_forgets_it()
    {
        var q = new FairQueue();
        q.Enqueue(Q("a", 0));
        q.Enqueue(Q("a", 1));
        q.Enqueue(Q("a", 0, attempt: 2), atFront: true);
        Assert.Equal(2, q.Count);
        Assert.Equal(2, q.Find("a-0")!.Attempt);
        Assert.True(q.Remove("a-1"));
        Assert.False(q.Remove("a-1"));
        Assert.Equal(["a-0"], q.InOrder().Select(t => t.TrialId));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1 }, q.CountBySweep());
    }

    [Theory]
    [InlineData(DeviceKind.Cuda, 24, DeviceKind.Cuda, 24, true)]
    [InlineData(DeviceKind.Cuda, 24, DeviceKind.Cuda, 16, false)]
    [InlineData(DeviceKind.Cuda, 8, DeviceKind.Cpu, 64, false)]
    [InlineData(DeviceKind.Cpu, 2, DeviceKind.Cpu, 4, true)]
    public void Needs_fit_a_slot_of_the_same_device_kind_with_enough_memory(DeviceKind need, double needGiB, DeviceKind has, double hasGiB, bool fits) =>
        Assert.Equal(fits, new TrialNeeds(need, needGiB).FitsIn(new SlotCapacity(has, hasGiB)));
}
