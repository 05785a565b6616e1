using System.Net;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>The web host's health and metrics endpoints (the deploy files probe them).</summary>
[Collection(WebApiCollection.Name)]
public sealed class OperationsTests(WebApiFixture web)
{
    [Fact]
    public async Task Live_and_ready_report_the_process_postgresql_and_the_cluster()
    {
        using var client = web.Client(withKey: false);

        var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var report = await ready.ReadJsonAsync();
        Assert.Equal("Healthy", report.GetProperty("status").GetString());
        var checks = report.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString());
        Assert.Equal("Healthy", checks["postgresql"]);
        Assert.Equal("Healthy", checks["orleans"]);
    }

    [Fact]
    public async Task Metrics_are_served_as_prometheus_text_with_the_dsdr_meter()
    {
        using var client = web.Client();
        // A finished trial moves the Dsdr meter's counters.
        await client.PostAsync("/api/sweeps", Json(Spec("metrics-meter", steps: 3, arms: "\"grpo\"", seeds: "0")));
        await WaitForSweepAsync(client, "metrics-meter", s => s.Sweep.Status == "completed", "sweep metrics-meter to complete");

        var text = await WaitForAsync(async () => await client.GetStringAsync("/metrics"), t => t.Contains("dsdr_trial_steps"), "the dsdr meter in /metrics");
        Assert.Contains("# TYPE", text);
    }
}
