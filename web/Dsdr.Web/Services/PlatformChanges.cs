using Dsdr.Storage;
using Dsdr.Storage.Notifications;

namespace Dsdr.Web.Services;

/// <summary>What a committed change touched (db/0006_change_notifications.sql names one per group of tables).</summary>
public enum ChangeKind { Sweeps, Trials, Metrics, Evals, Rollouts, Problems, Pool }

/// <summary>
/// One announced change: its kind and the sweeps and trials it touched. An id list is empty when the table has no such
/// column and null when it was too long to list (then any id may be meant). <see cref="Everything"/> (no kind) stands
/// for "anything may have changed": what the feed reports after its connection came back, having possibly missed some.
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
        if (parts.Length != 3 || parts[0].Any(char.IsDigit) || !Enum.TryParse<ChangeKind>(parts[0], ignoreCase: true, out var kind)) return null;
        return new DataChange(kind, Ids(parts[1]), Ids(parts[2]));

        static IReadOnlySet<string>? Ids(string list) => list == "*" ? null
            : list.Length == 0 ? None
            : new HashSet<string>(list.Split(',', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
    }

    private static IReadOnlySet<string> Set(IEnumerable<string>? ids) => ids is null ? None : new HashSet<string>(ids, StringComparer.Ordinal);
}

/// <summary>
/// The platform's changes as this web host hears of them: open dashboard pages subscribe and update by push (over the
/// Blazor circuit they already hold) instead of re-reading on a timer.
/// </summary>
public interface IPlatformChanges
{
    /// <summary>Calls <paramref name="changed"/> for every change until the subscription is disposed; it runs on the notifier's thread, so keep it short.</summary>
    IDisposable Subscribe(Action<DataChange> changed);
}

/// <summary>
/// The in-process notifier. Fed by <see cref="PlatformChangeFeed"/> with what PostgreSQL announces on
/// <see cref="DataChangeListener.Channel"/> (the triggers of db/0006 fire for every writer: this host's silo in single-node
/// mode, the silos of every node in cluster mode, where this host is only an Orleans client), and by the pool sampler.
/// </summary>
public sealed class PlatformChanges : IPlatformChanges
{
    private readonly Lock _lock = new();
    private ImmutableSubscribers _subscribers = ImmutableSubscribers.Empty;

    public IDisposable Subscribe(Action<DataChange> changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        var subscription = new Subscription(this, changed);
        lock (_lock) _subscribers = _subscribers.With(subscription);
        return subscription;
    }

    /// <summary>Tells every subscriber; one that throws does not keep the others from hearing it.</summary>
    public void Publish(DataChange change)
    {
        foreach (var s in Volatile.Read(ref _subscribers).Items)
        {
            try
            {
                s.Changed(change);
            }
            catch (Exception)
            {
                // a page's handler only schedules a refresh; a failure there is that page's to show on its next load
            }
        }
    }

    public int SubscriberCount => Volatile.Read(ref _subscribers).Items.Length;

    private void Remove(Subscription subscription)
    {
        lock (_lock) _subscribers = _subscribers.Without(subscription);
    }

    private sealed class Subscription(PlatformChanges owner, Action<DataChange> changed) : IDisposable
    {
        public Action<DataChange> Changed { get; } = changed;

        public void Dispose() => owner.Remove(this);
    }

    // Copy-on-write: publishing reads a snapshot without a lock while pages come and go.
    private sealed record ImmutableSubscribers(Subscription[] Items)
    {
        public static readonly ImmutableSubscribers Empty = new([]);
        public ImmutableSubscribers With(Subscription s) => new([.. Items, s]);
        public ImmutableSubscribers Without(Subscription s) => new([.. Items.Where(x => x != s)]);
    }
}

/// <summary>Listens to PostgreSQL's change notifications for as long as the host runs and publishes them to <see cref="PlatformChanges"/>.</summary>
internal sealed class PlatformChangeFeed(DsdrDatabase database, PlatformChanges changes, ILogger<PlatformChangeFeed> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        DataChangeListener.RunAsync(database,
            payload => { if (DataChange.Parse(payload) is { } change) changes.Publish(change); },
            () => changes.Publish(DataChange.Everything), logger, cancellationToken: stoppingToken);
}

/// <summary>Which announced changes concern what a page shows.</summary>
public static class ChangeMatch
{
    /// <summary>
    /// True for <see cref="DataChange.Everything"/>, and for a change of one of <paramref name="kinds"/> that touches one of
    /// <paramref name="sweeps"/> or <paramref name="trials"/> (or any, when both are null); a change whose ids were too
    /// many to list may touch any.
    /// </summary>
    public static bool Touches(this DataChange change, IReadOnlyCollection<ChangeKind> kinds, IReadOnlySet<string>? sweeps = null, IReadOnlySet<string>? trials = null)
    {
        if (change.IsEverything) return true;
        if (!kinds.Contains(change.Kind!.Value)) return false;
        if (sweeps is null && trials is null) return true;
        return (sweeps is not null && Overlaps(sweeps, change.Sweeps)) || (trials is not null && Overlaps(trials, change.Trials));
    }

    private static bool Overlaps(IReadOnlySet<string> mine, IReadOnlySet<string>? announced) =>
        announced is null || (announced.Count > 0 && announced.Any(mine.Contains));
}
