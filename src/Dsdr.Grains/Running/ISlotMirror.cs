using Dsdr.Contracts;

namespace Dsdr.Grains.Running;

/// <summary>
/// A queryable copy of the learner-slot pool for readers outside the cluster (the web layer's pool page reads
/// PostgreSQL's slots table). Learner slots register when they start, report idle/busy with their trial while they
/// run (on every change, otherwise every <see cref="RefreshInterval"/>) and go offline when they stop; the scheduler
/// marks offline the slots it finds silent. A failed call is logged and made again on the slot's next heartbeat.
/// </summary>
public interface ISlotMirror
{
    /// <summary>How often a slot whose state did not change refreshes its row (so readers can tell live slots from dead ones).</summary>
    static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    /// <summary>The slot came online on <paramref name="node"/> with <paramref name="capacity"/> (idle, no trial).</summary>
    Task SlotStartedAsync(string slotKey, string node, SlotCapacity capacity, CancellationToken cancellationToken = default);

    /// <summary>The slot's state: busy with <paramref name="trialId"/>, idle, or offline.</summary>
    Task SlotStateAsync(string slotKey, SlotState state, string? trialId, CancellationToken cancellationToken = default);
}

/// <summary>No mirror: a silo without a database keeps its pool in the scheduler only.</summary>
public sealed class NoSlotMirror : ISlotMirror
{
    public static readonly NoSlotMirror Instance = new();

    public Task SlotStartedAsync(string slotKey, string node, SlotCapacity capacity, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task SlotStateAsync(string slotKey, SlotState state, string? trialId, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
