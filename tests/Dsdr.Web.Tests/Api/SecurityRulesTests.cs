using Dsdr.Web.Components.Account;
using Dsdr.Web.Hosting;
using Dsdr.Web.Security;

namespace Dsdr.Web.Tests.Api;

/// <summary>The small rules behind sign-in: where anonymous reading is allowed, how failures are slowed, where sign-in may return.</summary>
public sealed class SecurityRulesTests
{
    [Theory]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://127.0.0.1:0;http://[::1]:5080", true)]
    [InlineData("http://127.0.0.2:80", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://*:5080", false)]
    [InlineData("http://+:5080", false)]
    [InlineData("http://localhost:5080;http://10.0.0.5:5080", false)]
    [InlineData("http://dsdr.example:80", false)]
    public void Anonymous_reading_is_allowed_only_on_loopback_addresses(string urls, bool loopback)
    {
        Assert.Equal(loopback, DsdrWebOptions.ListensOnLoopbackOnly(urls));
        Assert.Equal(loopback, new DsdrWebOptions { Urls = urls }.AllowsAnonymousRead);
    }

    [Fact]
    public void Cluster_mode_refuses_anonymous_reading_unless_configured()
    {
        Assert.False(new DsdrWebOptions { Mode = WebMode.Cluster, Urls = "http://localhost:5080" }.AllowsAnonymousRead);
        Assert.True(new DsdrWebOptions { Mode = WebMode.Cluster, AnonymousRead = true }.AllowsAnonymousRead);
        Assert.False(new DsdrWebOptions { AnonymousRead = false }.AllowsAnonymousRead);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1000)]
    [InlineData(2, 2000)]
    [InlineData(3, 4000)]
    [InlineData(6, 32000)]
    [InlineData(50, 32000)] // capped at 2^5
    public void A_failed_sign_in_waits_base_times_two_to_the_failures_so_far(int failures, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), SignInThrottle.Delay(TimeSpan.FromSeconds(1), failures));

    [Fact]
    public void The_throttle_counts_per_address_and_forgets_after_the_window()
    {
        var time = new ManualTime();
        var throttle = new SignInThrottle(new DsdrWebOptions { SignInFailureDelay = TimeSpan.FromMilliseconds(100) }, time);
        for (var i = 1; i <= SignInThrottle.FreeFailures; i++) Assert.Equal(i, throttle.Failed("10.0.0.1").Failures);
        Assert.Equal(TimeSpan.FromMilliseconds(400), throttle.DelayBeforeCheck("10.0.0.1")); // parallel guesses wait too
        Assert.Equal(TimeSpan.Zero, throttle.DelayBeforeCheck("10.0.0.2"));
        time.Now += SignInThrottle.Window + TimeSpan.FromSeconds(1);
        Assert.Equal(TimeSpan.Zero, throttle.DelayBeforeCheck("10.0.0.1"));
        Assert.Equal(1, throttle.Failed("10.0.0.1").Failures);
    }

    [Theory]
    [InlineData("/sweeps/x?tab=1", "/sweeps/x?tab=1")]
    [InlineData("//evil.example/x", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData(null, "/")]
    public void Sign_in_returns_only_to_local_paths(string? returnUrl, string path) => Assert.Equal(path, SignIn.LocalPath(returnUrl));

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
