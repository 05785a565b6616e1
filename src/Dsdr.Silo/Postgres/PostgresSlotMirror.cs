using Dsdr.Contracts;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Running;
using Dsdr.Storage.Repositories;

namespace Dsdr.Silo.Postgres;

/// <summary>The learner-slot pool copied into PostgreSQL's slots table (the web layer's pool page).</summary>
public sealed class PostgresSlotMirror(SlotRepository slots) : ISlotMirror
{
    /// <summary>1 GiB in bytes.</summary>
    private const double GiB = 1024.0 * 1024 * 1024;

    public Task SlotStartedAsync(string slotKey, string node, SlotCapacity capacity, CancellationToken cancellationToken = default)
    {
        var registration = RegistrationOf(slotKey, node, capacity);
        return PostgresRetry.RunAsync(ct => slots.RegisterAsync(registration, ct), cancellationToken);
    }

    public Task SlotStateAsync(string slotKey, SlotState state, string? trialId, CancellationToken cancellationToken = default) =>
        PostgresRetry.RunAsync(async ct =>
        {
            var status = state switch
            {
                SlotState.Idle => SlotStatus.Idle,
                SlotState.Busy => SlotStatus.Busy,
                SlotState.Offline => SlotStatus.Offline,
                _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown slot state."),
            };
            // No row (deleted, or a new database): fail, and the slot registers again before its next report.
            if (!await slots.HeartbeatAsync(slotKey, status, status == SlotStatus.Busy ? trialId : null, ct) && state != SlotState.Offline)
                throw new InvalidOperationException($"Slot '{slotKey}' has no row in the slots table; it registers again before its next report.");
        }, cancellationToken);

    /// <summary>The slots-table registration of slot "node/kind:index": device "kind:index", kind "cpu"/"cuda", memory in bytes.</summary>
    public static SlotRegistration RegistrationOf(string slotKey, string node, SlotCapacity capacity)
    {
        var (_, kind, index) = SlotKeys.Parse(slotKey);
        var kindName = kind == DeviceKind.Cuda ? "cuda" : "cpu";
        return new SlotRegistration(slotKey, node, $"{kindName}:{index}", kindName, (long)Math.Round(capacity.MemoryGiB * GiB));
    }
}
