namespace Dsdr.Web.Hosting;

/// <summary>How much a spec the dashboard takes, and the circuit message size that lets it through.</summary>
public static class DashboardLimits
{
    /// <summary>The largest spec the new-sweep page takes, pasted or uploaded: 1 MiB (larger ones go through POST /api/sweeps).</summary>
    public const int MaxSpecBytes = 1 << 20;

    /// <summary>
    /// Characters the JSON tab's text field holds (MudBlazor's default is 512 Ki, which cut a pasted spec silently): twice the
    /// spec limit, so a spec somewhat too large still arrives and is refused by name rather than truncated.
    /// </summary>
    public const int MaxSpecFieldChars = 2 * MaxSpecBytes;

    /// <summary>One SignalR message from the browser: the field's text as UTF-8 JSON (escaping at most doubles it) plus the event's envelope.</summary>
    public const long MaxCircuitMessageBytes = 4L * MaxSpecFieldChars + (64 << 10);
}
