using System.Collections.Concurrent;
using System.Security.Claims;
using Dsdr.Web.Hosting;

namespace Dsdr.Web.Security;

/// <summary>
/// Checks what the sign-in form sent: a user name and password from the user store, or (no name) the API key.
/// A failure is logged (the name when it is a plausible one, never a secret) and answered only after
/// <see cref="SignInThrottle"/>'s delay.
/// </summary>
public sealed partial class DashboardSignIn(ApiKey apiKey, DashboardUserStore users, SignInThrottle throttle, ILogger<DashboardSignIn> logger)
{
    /// <summary>The principal to sign in, or null after the failure delay.</summary>
    public async Task<ClaimsPrincipal?> CheckAsync(string? name, string? secret, string remoteAddress, CancellationToken cancellationToken = default)
    {
        await Task.Delay(throttle.DelayBeforeCheck(remoteAddress), cancellationToken);
        var principal = Check(name?.Trim(), secret ?? "");
        if (principal is not null)
        {
            throttle.Succeeded(remoteAddress);
            LogSignedIn(logger, principal.Identity!.Name!, principal.FindFirst(ClaimTypes.Role)!.Value, remoteAddress);
            return principal;
        }
        var (failures, delay) = throttle.Failed(remoteAddress);
        LogFailed(logger, Printable(name), remoteAddress, failures, (int)delay.TotalMilliseconds);
        await Task.Delay(delay, cancellationToken);
        return null;
    }

    private ClaimsPrincipal? Check(string? name, string secret)
    {
        if (secret.Length == 0) return null;
        if (string.IsNullOrEmpty(name))
            return apiKey.Matches(secret) ? DsdrAuth.Principal("api-key", DsdrRoles.Operator, DsdrAuth.ViaApiKey, DsdrAuth.CookieScheme) : null;
        return users.Verify(name, secret) is { } user ? DsdrAuth.Principal(user.Name, user.Role, DsdrAuth.ViaPassword, DsdrAuth.CookieScheme) : null;
    }

    /// <summary>What the log may say about the typed name: the name when it could be one, never a key typed in the wrong field.</summary>
    private string Printable(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "(API key)";
        if (apiKey.Matches(name.Trim())) return "(a secret typed as the user name)";
        try
        {
            return DashboardUserStore.CheckName(name);
        }
        catch (ArgumentException)
        {
            return "(not a user name)";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dashboard sign-in: {User} ({Role}) from {Address}")]
    private static partial void LogSignedIn(ILogger logger, string user, string role, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dashboard sign-in failed for {User} from {Address} ({Failures} recent failures; answered after {DelayMs} ms)")]
    private static partial void LogFailed(ILogger logger, string user, string address, int failures, int delayMs);
}

/// <summary>
/// Slows guessing: each failed sign-in from an address answers after base · 2^min(f − 1, 5) (f = that address's failures
/// in the last <see cref="Window"/>), and once an address has failed <see cref="FreeFailures"/> times even its next try
/// waits that long before it is checked, so parallel guesses are slowed too.
/// </summary>
public sealed class SignInThrottle(DsdrWebOptions options, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public const int FreeFailures = 3;
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset Last)> _failures = new(StringComparer.Ordinal);

    // delay = base · 2^min(f − 1, 5)
    public static TimeSpan Delay(TimeSpan baseDelay, int failures) =>
        failures <= 0 ? TimeSpan.Zero : baseDelay * Math.Pow(2, Math.Min(failures - 1, 5));

    public TimeSpan DelayBeforeCheck(string address) =>
        Recent(address) is var f and >= FreeFailures ? Delay(options.SignInFailureDelay, f) : TimeSpan.Zero;

    public (int Failures, TimeSpan Delay) Failed(string address)
    {
        var now = time.GetUtcNow();
        var entry = _failures.AddOrUpdate(address, _ => (1, now), (_, e) => (now - e.Last > Window ? 1 : e.Failures + 1, now));
        return (entry.Failures, Delay(options.SignInFailureDelay, entry.Failures));
    }

    public void Succeeded(string address) => _failures.TryRemove(address, out _);

    private int Recent(string address) =>
        _failures.TryGetValue(address, out var e) && time.GetUtcNow() - e.Last <= Window ? e.Failures : 0;
}
