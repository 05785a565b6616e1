using System.Diagnostics;
using System.Threading.Channels;
using Dsdr.Storage.Repositories;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Dsdr.Storage.Ingest;

/// <summary>Buffering and retry settings of the <see cref="MetricIngestor"/> (settable: bind with services.Configure&lt;MetricIngestorOptions&gt;).</summary>
public sealed record MetricIngestorOptions
{
    /// <summary>Samples held in memory; writers wait (back-pressure) when it is full, nothing is dropped.</summary>
    public int Capacity { get; set; } = 200_000;

    /// <summary>Samples per COPY batch.</summary>
    public int BatchSize { get; set; } = 10_000;

    /// <summary>Longest a sample waits in memory before its batch is written.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>First and longest pause between retries while the server is away (exponential backoff).</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Buffers metric samples in a bounded channel and writes them in batches through <see cref="MetricCopy"/> (idempotent),
/// every <see cref="MetricIngestorOptions.FlushInterval"/> or when a batch is full. A failed batch is retried with
/// exponential backoff until it is stored, so a server restart loses nothing and duplicates nothing.
/// <see cref="FlushAsync"/> waits until everything written before it is stored; disposing drains the buffer.
/// </summary>
public sealed class MetricIngestor : IAsyncDisposable
{
    private readonly DsdrDatabase _database;
    private readonly MetricIngestorOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _channel;
    private readonly Task _writer;
    private readonly Lock _flushLock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _flushWaiters = [];
    private TaskCompletionSource _wake = NewWake();
    private long _accepted;
    private long _stored;
    private long _retries;
    private NpgsqlConnection? _connection;

    public MetricIngestor(DsdrDatabase database, MetricIngestorOptions? options = null, ILogger<MetricIngestor>? logger = null)
    {
        _database = database;
        _options = options ?? new MetricIngestorOptions();
        if (_options.Capacity < 1 || _options.BatchSize < 1)
            throw new ArgumentException($"MetricIngestorOptions: Capacity ({_options.Capacity}) and BatchSize ({_options.BatchSize}) must be positive.");
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _channel = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_options.Capacity)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriteLoopAsync);
        IngestMetrics.Track(this);
    }

    /// <summary>A buffered sample with the moment it was accepted (for the ingest-lag histogram).</summary>
    private readonly record struct Pending(MetricSample Sample, long AcceptedAt);

    /// <summary>Samples accepted into the buffer so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Samples whose batch has been committed (new or already present).</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>Batch writes that failed and were retried.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Queues one sample, waiting while the buffer is full.</summary>
    public async ValueTask WriteAsync(MetricSample sample, CancellationToken cancellationToken = default)
    {
        Validate(sample);
        await _channel.Writer.WriteAsync(new Pending(sample, Stopwatch.GetTimestamp()), cancellationToken);
        Interlocked.Increment(ref _accepted);
    }

    public async ValueTask WriteAsync(IEnumerable<MetricSample> samples, CancellationToken cancellationToken = default)
    {
        foreach (var sample in samples) await WriteAsync(sample, cancellationToken);
    }

    /// <summary>Waits until every sample accepted before this call is stored.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = Accepted;
        if (Stored >= target) return Task.CompletedTask;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_flushLock)
        {
            if (Stored >= target) return Task.CompletedTask;
            _flushWaiters.Add((target, done));
        }
        Wake();
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops accepting samples and waits until the buffer is stored.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        Wake();
        await _writer;
        IngestMetrics.Untrack(this);
        if (_connection is not null) await _connection.DisposeAsync();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _channel.Reader;
        var batch = new List<MetricSample>(_options.BatchSize);
        var acceptedAt = new List<long>(_options.BatchSize);
        Task<bool>? more = null;
        while (true)
        {
            // Wait for the first sample, then until the batch is full, the interval ends, a flush is asked for, or the writer closes.
            more ??= reader.WaitToReadAsync().AsTask();
            if (!await more) break;
            more = null;
            var deadline = Task.Delay(_options.FlushInterval);
            while (true)
            {
                var wake = Volatile.Read(ref _wake).Task;
                while (batch.Count < _options.BatchSize && reader.TryRead(out var pending))
                {
                    batch.Add(pending.Sample);
                    acceptedAt.Add(pending.AcceptedAt);
                }
                if (batch.Count >= _options.BatchSize || reader.Completion.IsCompleted || FlushPending()) break;
                more = reader.WaitToReadAsync().AsTask();
                var woke = await Task.WhenAny(more, deadline, wake);
                if (woke == more)
                {
                    var open = more.Result;
                    more = null;
                    if (!open) break;
                }
                else if (woke == deadline) break;
            }
            if (batch.Count > 0)
            {
                await StoreWithRetryAsync(batch);
                IngestMetrics.BatchStored(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(acceptedAt), Stopwatch.GetTimestamp());
                Interlocked.Add(ref _stored, batch.Count);
                batch.Clear();
                acceptedAt.Clear();
            }
            ReleaseFlushWaiters();
        }
        ReleaseFlushWaiters();
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Wake() => Interlocked.Exchange(ref _wake, NewWake()).TrySetResult();

    private bool FlushPending()
    {
        lock (_flushLock) return _flushWaiters.Count > 0;
    }

    private void ReleaseFlushWaiters()
    {
        var stored = Stored;
        lock (_flushLock)
        {
            for (var i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                if (_flushWaiters[i].Target > stored) continue;
                _flushWaiters[i].Done.TrySetResult();
                _flushWaiters.RemoveAt(i);
            }
        }
    }

    private async Task StoreWithRetryAsync(List<MetricSample> batch)
    {
        var delay = _options.RetryInitialDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _connection ??= await _database.OpenConnectionAsync();
                await MetricCopy.WriteAsync(_connection, batch);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException or InvalidOperationException)
            {
                Interlocked.Increment(ref _retries);
                IngestMetrics.Retried();
                _logger.LogWarning(e, "Storing {Count} metric samples failed (attempt {Attempt}); retrying in {Delay}", batch.Count, attempt, delay);
                if (_connection is not null)
                {
                    try { await _connection.DisposeAsync(); }
                    catch (Exception) { /* the connection is already broken */ }
                    _connection = null;
                }
                await Task.Delay(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
            }
        }
    }

    private static void Validate(MetricSample sample)
    {
        if (string.IsNullOrEmpty(sample.TrialId) || string.IsNullOrEmpty(sample.Name))
            throw new ArgumentException($"Metric sample {sample} needs a trial id and a name.", nameof(sample));
    }
}
