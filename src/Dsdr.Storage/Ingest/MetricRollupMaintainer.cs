using Dsdr.Storage.Repositories;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dsdr.Storage.Ingest;

/// <summary>How often the <see cref="MetricRollupMaintainer"/> catches up (settable: bind with services.Configure&lt;MetricRollupMaintainerOptions&gt;).</summary>
public sealed record MetricRollupMaintainerOptions
{
    /// <summary>Pause between catch-ups; a catch-up with nothing pending costs one index-free probe of an empty table.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Keeps metric_rollups close to metrics in the background (db/0007): every <see cref="MetricRollupMaintainerOptions.Interval"/>
/// it applies every pending step range, so a chart's read finds little of its own to catch up. Every host with storage
/// runs one; their catch-ups serialise in the database, and a second one finds nothing left to do.
/// </summary>
public sealed partial class MetricRollupMaintainer(DsdrDatabase database, IOptions<MetricRollupMaintainerOptions>? options = null,
    ILogger<MetricRollupMaintainer>? logger = null) : BackgroundService
{
    private readonly TimeSpan _interval = Validated(options?.Value ?? new MetricRollupMaintainerOptions());
    private readonly ILogger _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await using var connection = await database.OpenConnectionAsync(stoppingToken);
                    await MetricRollups.CatchUpAsync(connection, cancellationToken: stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested &&
                                          e is NpgsqlException or IOException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
                {
                    LogFailed(_logger, e, _interval); // the server is away or restarting: the next tick tries again
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the host stops
        }
    }

    private static TimeSpan Validated(MetricRollupMaintainerOptions options) =>
        options.Interval > TimeSpan.Zero ? options.Interval
            : throw new ArgumentException($"MetricRollupMaintainerOptions.Interval ({options.Interval}) must be positive, e.g. 00:00:01.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catching up the metric rollups failed; trying again in {Interval}")]
    private static partial void LogFailed(ILogger logger, Exception exception, TimeSpan interval);
}
