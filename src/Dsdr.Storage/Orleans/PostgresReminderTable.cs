using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Dsdr.Storage.Orleans;

/// <summary>
/// Orleans reminder table on orleans_reminders, scoped by service id. Each row carries a version etag that every
/// upsert increments; removal succeeds only at the current etag. Range reads follow Orleans' ring convention:
/// (begin, end] when begin &lt; end, otherwise the wrapped range (begin, max] ∪ [0, end].
/// </summary>
public sealed class PostgresReminderTable(DsdrDatabase database, IOptions<ClusterOptions> cluster) : IReminderTable
{
    private const string Columns =
        "grain_id AS GrainId, reminder_name AS ReminderName, start_at AS StartAt, period_ticks AS PeriodTicks, etag AS Etag";

    private readonly string _serviceId = cluster.Value.ServiceId;

    public async Task StartAsync(CancellationToken cancellationToken = default) =>
        await database.GetDataSourceAsync(cancellationToken); // migrations have created the table by the time this returns

    public async Task<ReminderTableData> ReadRows(GrainId grainId)
    {
        await using var connection = await database.OpenConnectionAsync();
        var rows = await connection.QueryAsync<ReminderRow>(
            $"SELECT {Columns} FROM orleans_reminders WHERE service_id = @serviceId AND grain_id = @grainId",
            new { serviceId = _serviceId, grainId = grainId.ToString() });
        return new ReminderTableData(rows.Select(ToEntry));
    }

    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        var sql = begin < end
            ? $"SELECT {Columns} FROM orleans_reminders WHERE service_id = @serviceId AND grain_hash > @begin AND grain_hash <= @end"
            : $"SELECT {Columns} FROM orleans_reminders WHERE service_id = @serviceId AND (grain_hash > @begin OR grain_hash <= @end)";
        await using var connection = await database.OpenConnectionAsync();
        var rows = await connection.QueryAsync<ReminderRow>(sql, new { serviceId = _serviceId, begin = (long)begin, end = (long)end });
        return new ReminderTableData(rows.Select(ToEntry));
    }

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        await using var connection = await database.OpenConnectionAsync();
        var row = await connection.QuerySingleOrDefaultAsync<ReminderRow>(
            $"SELECT {Columns} FROM orleans_reminders WHERE service_id = @serviceId AND grain_id = @grainId AND reminder_name = @reminderName",
            new { serviceId = _serviceId, grainId = grainId.ToString(), reminderName });
        return row is null ? null : ToEntry(row);
    }

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        ArgumentException.ThrowIfNullOrEmpty(entry.ReminderName, nameof(entry.ReminderName));
        await using var connection = await database.OpenConnectionAsync();
        var etag = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, grain_hash, start_at, period_ticks, etag)
            VALUES (@serviceId, @grainId, @reminderName, @grainHash, @startAt, @periodTicks, 1)
            ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE SET
                grain_hash = EXCLUDED.grain_hash, start_at = EXCLUDED.start_at, period_ticks = EXCLUDED.period_ticks,
                etag = orleans_reminders.etag + 1
            RETURNING etag
            """,
            new
            {
                serviceId = _serviceId, grainId = entry.GrainId.ToString(), reminderName = entry.ReminderName,
                grainHash = (long)entry.GrainId.GetUniformHashCode(),
                startAt = DateTime.SpecifyKind(entry.StartAt.Kind == DateTimeKind.Local ? entry.StartAt.ToUniversalTime() : entry.StartAt, DateTimeKind.Utc),
                periodTicks = entry.Period.Ticks,
            });
        return etag.ToString(CultureInfo.InvariantCulture);
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        if (!long.TryParse(eTag, NumberStyles.Integer, CultureInfo.InvariantCulture, out var etag)) return false;
        await using var connection = await database.OpenConnectionAsync();
        return await connection.ExecuteAsync(
            "DELETE FROM orleans_reminders WHERE service_id = @serviceId AND grain_id = @grainId AND reminder_name = @reminderName AND etag = @etag",
            new { serviceId = _serviceId, grainId = grainId.ToString(), reminderName, etag }) == 1;
    }

    public async Task TestOnlyClearTable()
    {
        await using var connection = await database.OpenConnectionAsync();
        await connection.ExecuteAsync("DELETE FROM orleans_reminders WHERE service_id = @serviceId", new { serviceId = _serviceId });
    }

    private static ReminderEntry ToEntry(ReminderRow row) => new()
    {
        GrainId = GrainId.Parse(row.GrainId),
        ReminderName = row.ReminderName,
        StartAt = DateTime.SpecifyKind(row.StartAt, DateTimeKind.Utc),
        Period = TimeSpan.FromTicks(row.PeriodTicks),
        ETag = row.Etag.ToString(CultureInfo.InvariantCulture),
    };

    private sealed record ReminderRow(string GrainId, string ReminderName, DateTime StartAt, long PeriodTicks, long Etag);
}
