using System.Globalization;

namespace Dsdr.Web.Components.Shared;

/// <summary>Times as the dashboard shows them: UTC, to the second.</summary>
public static class Time
{
    public static string Format(DateTime at) =>
        (at.Kind == DateTimeKind.Local ? at.ToUniversalTime() : at).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string Format(DateTimeOffset at) => Format(at.UtcDateTime);

    public static string Format(DateTime? at) => at is { } t ? Format(t) : "–";

    public static string Format(DateTimeOffset? at) => at is { } t ? Format(t) : "–";

    /// <summary>"12 s ago", "3 min ago", "2 h ago".</summary>
    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var s = Math.Max(0, (now - at).TotalSeconds);
        return s < 90 ? $"{s:0} s ago" : s < 5400 ? $"{s / 60:0} min ago" : $"{s / 3600:0} h ago";
    }
}
