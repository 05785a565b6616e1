using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Dsdr.Grains.Tests;

/// <summary>
/// Grain storage shared by every silo of a test cluster, standing in for the database: it
/// survives a silo being stopped, unlike Orleans' memory storage whose data lives in grains.
/// Keeps serialised copies and enforces etags like a real provider.
/// </summary>
public sealed class SharedStore
{
    internal ConcurrentDictionary<string, (byte[] Data, string ETag)> Rows { get; } = new();

    /// <summary>State names whose writes are silently lost, as if the database dropped them.</summary>
    public ConcurrentDictionary<string, bool> LosingWrites { get; } = new();

    /// <summary>Forgets every saved row of a state name.</summary>
    public void Forget(string stateName)
    {
        foreach (var key in Rows.Keys.Where(k => k.StartsWith(stateName + "|", StringComparison.Ordinal)))
            Rows.TryRemove(key, out _);
    }
}

internal sealed class SharedGrainStorage(SharedStore store, Serializer serializer) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (store.Rows.TryGetValue(Key(stateName, grainId), out var row))
        {
            grainState.State = serializer.Deserialize<T>(row.Data);
            grainState.ETag = row.ETag;
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        if (store.LosingWrites.ContainsKey(stateName)) return Task.CompletedTask;
        var data = serializer.SerializeToArray(grainState.State);
        var etag = Guid.NewGuid().ToString("N");
        lock (store)
        {
            var current = store.Rows.TryGetValue(key, out var row) ? row.ETag : null;
            if (current != grainState.ETag)
                throw new InconsistentStateException($"ETag mismatch for {key}", current ?? "", grainState.ETag ?? "");
            store.Rows[key] = (data, etag);
        }
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        store.Rows.TryRemove(Key(stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static string Key(string stateName, GrainId grainId) => $"{stateName}|{grainId}";
}
