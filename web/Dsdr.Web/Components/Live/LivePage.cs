using Dsdr.Web.Services;
using Microsoft.AspNetCore.Components;

namespace Dsdr.Web.Components.Live;

/// <summary>How often dashboard pages re-read the platform. Register one in DI to change the default of 2 s.</summary>
public sealed record DashboardOptions(TimeSpan RefreshInterval)
{
    public static DashboardOptions Default { get; } = new(TimeSpan.FromSeconds(2));
}

/// <summary>
/// A page that loads from <see cref="IDsdrPlatform"/> when its parameters change and then again on a timer, re-rendering
/// in place (no reload). A failed refresh is shown in <see cref="LoadError"/> and retried on the next tick; the timer stops on dispose.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    [Inject] protected IDsdrPlatform Platform { get; set; } = default!;
    [Inject] private DashboardOptions Options { get; set; } = default!;

    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>The message of the last failed load; null after a good one.</summary>
    protected string? LoadError { get; private set; }

    /// <summary>True once the first load finished (successfully or not).</summary>
    protected bool Loaded { get; private set; }

    /// <summary>Reads what the page shows; runs on the renderer's context, cancelled when the page goes away.</summary>
    protected abstract Task LoadAsync(CancellationToken cancellationToken);

    /// <summary>False stops the timer's refreshes (e.g. a page whose data can no longer change).</summary>
    protected virtual bool KeepRefreshing => true;

    protected override async Task OnParametersSetAsync()
    {
        await RefreshAsync();
        _loop ??= RunTimerAsync();
    }

    /// <summary>Loads now (also used after a user action, e.g. a new selection).</summary>
    protected async Task RefreshAsync()
    {
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
        Loaded = true;
    }

    private async Task RunTimerAsync()
    {
        using var timer = new PeriodicTimer(Options.RefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (!KeepRefreshing) continue;
                await InvokeAsync(async () =>
                {
                    if (_stop.IsCancellationRequested) return;
                    await RefreshAsync();
                    if (!_stop.IsCancellationRequested) StateHasChanged();
                });
            }
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
        _stop.Cancel();
        _stop.Dispose();
    }
}
