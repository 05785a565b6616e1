using Dapper;

namespace Dsdr.Storage.Repositories;

/// <summary>The learner-slot pool (the pool page).</summary>
public sealed class SlotRepository(DsdrDatabase database)
{
    private const string Columns = """
        slot_id AS SlotId, node AS Node, device AS Device, kind AS Kind, memory_bytes AS MemoryBytes, status AS Status,
        trial_id AS TrialId, registered_at AS RegisteredAt, heartbeat_at AS HeartbeatAt
        """;

    /// <summary>Registers a slot (or re-registers it after a restart) as idle.</summary>
    public async Task RegisterAsync(SlotRegistration slot, CancellationToken cancellationToken = default)
    {
        DbText.RequireId(slot.SlotId, nameof(slot.SlotId));
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO slots (slot_id, node, device, kind, memory_bytes) VALUES (@SlotId, @Node, @Device, @Kind, @MemoryBytes)
            ON CONFLICT (slot_id) DO UPDATE SET node = EXCLUDED.node, device = EXCLUDED.device, kind = EXCLUDED.kind,
                memory_bytes = EXCLUDED.memory_bytes, status = 'idle', trial_id = NULL, registered_at = now(), heartbeat_at = now()
            """, slot, cancellationToken: cancellationToken));
    }

    /// <summary>Records a slot's heartbeat with its state; false when the slot is not registered.</summary>
    public async Task<bool> HeartbeatAsync(string slotId, SlotStatus status, string? trialId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE slots SET status = @status, trial_id = @trialId, heartbeat_at = now() WHERE slot_id = @slotId",
            new { slotId, status = DbText.Of(status), trialId }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Marks slots silent for longer than <paramref name="silence"/> offline; returns their ids.</summary>
    public async Task<IReadOnlyList<string>> MarkSilentOfflineAsync(TimeSpan silence, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition("""
            UPDATE slots SET status = 'offline', trial_id = NULL
            WHERE status <> 'offline' AND heartbeat_at < now() - @silence RETURNING slot_id
            """, new { silence }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<SlotRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<SlotRow>(new CommandDefinition(
            $"SELECT {Columns} FROM slots ORDER BY node, device", cancellationToken: cancellationToken))).AsList();
    }

    public async Task<bool> RemoveAsync(string slotId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM slots WHERE slot_id = @slotId", new { slotId },
            cancellationToken: cancellationToken)) == 1;
    }
}
