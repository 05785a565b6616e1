using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Dsdr.Storage.Notifications;

/// <summary>
/// Listens on PostgreSQL's channel <see cref="Channel"/> on one dedicated connection and hands every payload to a
/// callback. db/0006's triggers notify when the writing transaction commits, so the payloads cover every writer on the
/// database (this process's silo, other nodes' silos, the CLI) and never a change that was rolled back; a payload reads
/// "&lt;kind&gt;|&lt;sweep ids&gt;|&lt;trial ids&gt;" (ids comma-separated, "*" for too many to list). A lost
/// connection is reopened with backoff, then <c>reconnected</c> is called: what was announced while it was away is gone.
/// </summary>
public static partial class DataChangeListener
{
    public const string Channel = "dsdr_changes";

    /// <summary>How long one wait lasts before a round trip checks that the connection still stands.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled. <paramref name="listening"/> is called each time LISTEN is in place.</summary>
    public static async Task RunAsync(DsdrDatabase database, Action<string> notified, Action reconnected, ILogger? logger = null, Action? listening = null,
        CancellationToken cancellationToken = default)
    {
        logger ??= NullLogger.Instance;
        var delay = TimeSpan.FromMilliseconds(200);
        var connectedBefore = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == Channel) notified(e.Payload);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                if (connectedBefore) reconnected();
                connectedBefore = true;
                delay = TimeSpan.FromMilliseconds(200);
                listening?.Invoke();
                while (!cancellationToken.IsCancellationRequested)
                {
                    if (await connection.WaitAsync(KeepAlive, cancellationToken)) continue;
                    await using var ping = new NpgsqlCommand("SELECT 1", connection);
                    await ping.ExecuteScalarAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                LogLost(logger, ex, delay);
                database.ClearPool();
                try { await Task.Delay(delay, cancellationToken); }
                catch (OperationCanceledException) { return; }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for data changes on PostgreSQL failed; pages update again once it reconnects (in {Delay})")]
    private static partial void LogLost(ILogger logger, Exception exception, TimeSpan delay);
}
