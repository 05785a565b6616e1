using Dsdr.Web.Services;
using Microsoft.AspNetCore.Components;

namespace Dsdr.Web.Components.Live;

/// <summary>
/// How often a page may re-render for pushed changes: at most once per <paramref name="MinRenderInterval"/> (and never
/// more often than its loads take). Register one in DI to change the default of 250 ms.
/// </summary>
public sealed record DashboardOptions(TimeSpan MinRenderInterval)
{
    public static DashboardOptions Default { get; } = new(TimeSpan.FromMilliseconds(250));
}

/// <summary>
/// A page that loads from <see cref="IDsdrPlatform"/> when its parameters change and again, by push, when the platform
/// announces a change it shows (<see cref="IPlatformChanges"/>; no timer): announcements are coalesced, a burst of them
/// becomes one load at most every <see cref="DashboardOptions.MinRenderInterval"/>, and the page re-renders in place.
/// A failed load is shown in <see cref="LoadError"/> and retried on the next change.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    [Inject] protected IDsdrPlatform Platform { get; set; } = default!;
    [Inject] private IPlatformChanges Changes { get; set; } = default!;
    [Inject] private DashboardOptions Options { get; set; } = default!;
    [Inject] private TimeProvider Clock { get; set; } = default!;

    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _pendingLock = new();
    private readonly List<DataChange> _pending = [];
    private bool _scheduled;
    private IDisposable? _subscription;
    private DateTimeOffset _lastLoadEnd = DateTimeOffset.MinValue;
    private TimeSpan _lastLoadTook;

    /// <summary>The message of the last failed load; null after a good one.</summary>
    protected string? LoadError { get; private set; }

    /// <summary>True once the first load finished (successfully or not).</summary>
    protected bool Loaded { get; private set; }

    /// <summary>
    /// The announced changes this load answers; empty when the page loads on its own account (first load, new parameters,
    /// a user's action), which reads everything.
    /// </summary>
    protected IReadOnlyList<DataChange> Cause { get; private set; } = [];

    /// <summary>True when this load must read what changes of <paramref name="kind"/> touch: always, unless it answers only other changes.</summary>
    protected bool Reads(ChangeKind kind) => Cause.Count == 0 || Cause.Any(c => c.IsEverything || c.Kind == kind);

    /// <summary>
    /// Which changes concern this page. Called on the notifier's thread: build it from values a load sets and no one
    /// mutates afterwards (the default concerns nothing).
    /// </summary>
    protected Func<DataChange, bool> Interest { get; set; } = _ => false;

    /// <summary>Reads what the page shows; runs on the renderer's context, cancelled when the page goes away.</summary>
    protected abstract Task LoadAsync(CancellationToken cancellationToken);

    protected override void OnInitialized() => _subscription = Changes.Subscribe(Changed);

    protected override async Task OnParametersSetAsync() => await RefreshAsync();

    /// <summary>Loads now (also used after a user action, e.g. a new selection).</summary>
    protected Task RefreshAsync() => LoadWithAsync([]);

    /// <summary>Loads now what <paramref name="kinds"/> concern, as if they had been announced (a user's zoom reads curves, not the table).</summary>
    protected Task RefreshAsync(params ChangeKind[] kinds) => LoadWithAsync([.. kinds.Select(k => DataChange.Of(k))]);

    private async Task LoadWithAsync(IReadOnlyList<DataChange> cause)
    {
        var started = Clock.GetTimestamp();
        Cause = cause;
        try
        {
            await LoadAsync(_stop.Token);
            LoadError = null;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LoadError = ex.Message;
        }
        finally
        {
            Cause = [];
        }
        Loaded = true;
        _lastLoadTook = Clock.GetElapsedTime(started);
        _lastLoadEnd = Clock.GetUtcNow();
    }

    private void Changed(DataChange change)
    {
        if (_stop.IsCancellationRequested || !Interest(change)) return;
        lock (_pendingLock)
        {
            _pending.Add(change);
            if (_scheduled) return;
            _scheduled = true;
        }
        _ = PushAsync();
    }

    // One load for everything announced until it starts, no sooner than the interval (or the last load's duration) after the last one ended.
    private async Task PushAsync()
    {
        try
        {
            var gap = Options.MinRenderInterval > _lastLoadTook ? Options.MinRenderInterval : _lastLoadTook;
            var wait = _lastLoadEnd + gap - Clock.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, Clock, _stop.Token);
            await InvokeAsync(async () =>
            {
                List<DataChange> cause;
                lock (_pendingLock)
                {
                    cause = [.. _pending];
                    _pending.Clear();
                    _scheduled = false;
                }
                if (_stop.IsCancellationRequested) return;
                await LoadWithAsync(cause);
                if (!_stop.IsCancellationRequested) StateHasChanged();
            });
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing || _stop.IsCancellationRequested) return;
        _subscription?.Dispose();
        _stop.Cancel();
        _stop.Dispose();
    }
}
