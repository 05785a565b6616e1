using Dsdr.Contracts;
using Dsdr.Web.Hosting;

namespace Dsdr.Web.Services;

/// <summary>The pool's utilisation over time: the last <see cref="Capacity"/> samples, oldest first (in memory, per web process).</summary>
public sealed class PoolHistory(int capacity)
{
    private readonly Queue<UtilisationSample> _samples = new();
    private readonly Lock _lock = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Keep at least one sample.");

    public void Add(UtilisationSample sample)
    {
        lock (_lock)
        {
            _samples.Enqueue(sample);
            while (_samples.Count > Capacity) _samples.Dequeue();
        }
    }

    public IReadOnlyList<UtilisationSample> Samples
    {
        get
        {
            lock (_lock) return [.. _samples];
        }
    }

    /// <summary>Slots online (not offline), busy (running an attempt), trials queued.</summary>
    public static UtilisationSample Sample(PoolSnapshot pool, DateTimeOffset at) =>
        new(at, pool.Slots.Count(s => s.State != SlotState.Offline), pool.Slots.Count(s => s.State == SlotState.Busy), pool.QueuedTrials);
}

/// <summary>
/// Samples the scheduler's pool every <see cref="DsdrWebOptions.PoolSampleInterval"/> into <see cref="PoolHistory"/> and
/// tells open pool pages (the history is this host's own, so no database trigger announces it).
/// </summary>
internal sealed partial class PoolSampler(IGrainFactory grains, PoolHistory history, PlatformChanges changes, DsdrWebOptions options, TimeProvider clock,
    ILogger<PoolSampler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.PoolSampleInterval, clock);
        var failures = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var pool = await grains.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey).GetPoolAsync().WaitAsync(options.PoolSampleInterval * 4, stoppingToken);
                history.Add(PoolHistory.Sample(pool, clock.GetUtcNow()));
                changes.Publish(DataChange.Of(ChangeKind.Pool));
                failures = 0;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The cluster may still be starting (or be briefly unreachable): log the first failure of a run, keep sampling.
                if (failures++ == 0) LogSampleFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sampling the pool for the utilisation history failed; retrying every interval")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
