using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;

namespace Dsdr.Storage.Orleans;

/// <summary>Settings of one named Dsdr grain-storage provider.</summary>
public sealed class DsdrGrainStorageOptions
{
    /// <summary>How grain state is turned into the jsonb document (fields included, so [Id]-annotated fields survive).</summary>
    public JsonSerializerOptions SerializerOptions { get; set; } = new(JsonSerializerDefaults.General) { IncludeFields = true };
}

/// <summary>
/// Orleans grain storage on orleans_grain_state: state as a jsonb document, the etag a per-row version counter.
/// A write carrying a stale etag (another activation wrote in between) fails with <see cref="InconsistentStateException"/>.
/// Clearing keeps the row with a null state so its etag keeps counting and stale writers still fail.
/// </summary>
public sealed class PostgresGrainStorage(string name, DsdrDatabase database, DsdrGrainStorageOptions options, IOptions<ClusterOptions> cluster)
    : IGrainStorage
{
    private readonly string _serviceId = cluster.Value.ServiceId;

    public string Name => name;

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var connection = await database.OpenConnectionAsync();
        var row = await connection.QuerySingleOrDefaultAsync<StateRow>(
            "SELECT etag AS Etag, state::text AS State FROM orleans_grain_state WHERE service_id = @serviceId AND state_name = @stateName AND grain_id = @grainId",
            new { serviceId = _serviceId, stateName, grainId = grainId.ToString() });
        if (row is null)
        {
            grainState.State = NewState<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        grainState.ETag = row.Etag.ToString(System.Globalization.CultureInfo.InvariantCulture);
        grainState.RecordExists = row.State is not null;
        grainState.State = row.State is null
            ? NewState<T>()
            : JsonSerializer.Deserialize<T>(row.State, options.SerializerOptions) ?? NewState<T>();
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var json = JsonSerializer.Serialize(grainState.State, options.SerializerOptions);
        var etag = await ConditionalWriteAsync(stateName, grainId, grainState.ETag, json, "write");
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var etag = await ConditionalWriteAsync(stateName, grainId, grainState.ETag, null, "clear");
        grainState.ETag = etag;
        grainState.RecordExists = false;
        grainState.State = NewState<T>();
    }

    // Inserts when the caller has no etag (no row may exist), else updates only the row at the caller's etag.
    private async Task<string> ConditionalWriteAsync(string stateName, GrainId grainId, string? expectedEtag, string? json, string operation)
    {
        var key = new { serviceId = _serviceId, stateName, grainId = grainId.ToString(), json };
        await using var connection = await database.OpenConnectionAsync();
        long? newEtag;
        if (expectedEtag is null)
        {
            newEtag = await connection.QuerySingleOrDefaultAsync<long?>("""
                INSERT INTO orleans_grain_state (service_id, state_name, grain_id, etag, state)
                VALUES (@serviceId, @stateName, @grainId, 1, CAST(@json AS jsonb))
                ON CONFLICT (service_id, state_name, grain_id) DO NOTHING
                RETURNING etag
                """, key);
        }
        else
        {
            if (!long.TryParse(expectedEtag, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var expected))
                throw new InconsistentStateException($"Grain {grainId} state '{stateName}': etag '{expectedEtag}' was not issued by Dsdr storage '{name}'.", storedEtag: null, currentEtag: expectedEtag);
            newEtag = await connection.QuerySingleOrDefaultAsync<long?>("""
                UPDATE orleans_grain_state SET etag = etag + 1, state = CAST(@json AS jsonb), updated_at = now()
                WHERE service_id = @serviceId AND state_name = @stateName AND grain_id = @grainId AND etag = @expected
                RETURNING etag
                """, new { key.serviceId, key.stateName, key.grainId, key.json, expected });
        }
        if (newEtag is { } stored) return stored.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var current = await connection.QuerySingleOrDefaultAsync<long?>(
            "SELECT etag FROM orleans_grain_state WHERE service_id = @serviceId AND state_name = @stateName AND grain_id = @grainId", key);
        throw new InconsistentStateException(
            $"Grain {grainId} state '{stateName}' ({name}): {operation} expected etag '{expectedEtag ?? "(none)"}' but the stored etag is " +
            $"'{current?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}': another activation wrote it.",
            current?.ToString(System.Globalization.CultureInfo.InvariantCulture), expectedEtag);
    }

    // A state type's initial value: a new instance when it has a parameterless constructor, otherwise default.
    private static T? NewState<T>() =>
        typeof(T).IsValueType || typeof(T).GetConstructor(Type.EmptyTypes) is not null ? Activator.CreateInstance<T>() : default;

    private sealed record StateRow(long Etag, string? State);
}
