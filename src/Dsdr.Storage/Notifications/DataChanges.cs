using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Dsdr.Storage.Notifications;

/// <summary>What a committed change touched (db/0006_change_notifications.sql names one per table group).</summary>
public enum ChangeKind { Sweeps, Trials, Metrics, Evals, Rollouts, Problems, Pool }

/// <summary>
/// One announced change: its kind and the sweeps and trials it touched. An id list is empty when the table has no such
/// column and null when it was too long to list (then any id may be meant). <see cref="Everything"/> (no kind) stands
/// for "anything may have changed": what a listener reports after it (re)connects, having possibly missed notifications.
/// </summary>
public sealed record DataChange(ChangeKind? Kind, IReadOnlySet<string>? Sweeps, IReadOnlySet<string>? Trials)
{
    private static readonly IReadOnlySet<string> None = new HashSet<string>(StringComparer.Ordinal);

    public static DataChange Everything { get; } = new(null, null, null);

    public bool IsEverything => Kind is null;

    public static DataChange Of(ChangeKind kind, IEnumerable<string>? sweeps = null, IEnumerable<string>? trials = null) =>
        new(kind, Set(sweeps), Set(trials));

    /// <summary>"&lt;kind&gt;|&lt;sweep ids&gt;|&lt;trial ids&gt;" as db/0006 writes it; null for a payload that is not one (another writer on the channel).</summary>
    public static DataChange? Parse(string payload)
    {
        var parts = (payload ?? "").Split('|');
        if (parts.Length != 3 || !Enum.TryParse<ChangeKind>(parts[0], ignoreCase: true, out var kind) || parts[0].Any(char.IsDigit)) return null;
        return new DataChange(kind, Ids(parts[1]), Ids(parts[2]));

        static IReadOnlySet<string>? Ids(string list) => list == "*" ? null
            : list.Length == 0 ? None
            : new HashSet<string>(list.Split(',', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
    }

    private static IReadOnlySet<string> Set(IEnumerable<string>? ids) => ids is null ? None : new HashSet<string>(ids, StringComparer.Ordinal);
}

/// <summary>
/// Listens on PostgreSQL's channel <see cref="Channel"/> on one dedicated connection and hands every announced change to
/// a callback. Notifications are sent by triggers when the writing transaction commits, so they cover every writer on
/// the database (this process's silo, other nodes' silos, the CLI) and never announce a change that was rolled back.
/// A lost connection is reopened with backoff, after which <see cref="DataChange.Everything"/> is reported: what was
/// announced while it was away is gone.
/// </summary>
public static partial class DataChangeListener
{
    public const string Channel = "dsdr_changes";

    /// <summary>How long one wait lasts before a round trip checks that the connection still stands.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled. <paramref name="listening"/> is called each time LISTEN is in place.</summary>
    public static async Task RunAsync(DsdrDatabase database, Action<DataChange> changed, ILogger? logger = null, Action? listening = null,
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
                    if (e.Channel == Channel && DataChange.Parse(e.Payload) is { } change) changed(change);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                if (connectedBefore) changed(DataChange.Everything);
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
