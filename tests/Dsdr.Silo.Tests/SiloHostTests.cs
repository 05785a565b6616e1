using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dsdr.Cli;

namespace Dsdr.Silo.Tests;

[CollectionDefinition(Name)]
public sealed class SiloCollection
{
    public const string Name = "silo hosts (one at a time on 2 cores)";
}

/// <summary>The worker host's health and metrics endpoints, and dsdr doctor, against a real silo on a real PostgreSQL.</summary>
[Collection(SiloCollection.Name)]
public sealed class SiloHostTests(SiloWithPostgres silo) : IClassFixture<SiloWithPostgres>
{
    [Fact]
    public async Task LiveAndReadyAnswer200WhilePostgresAndTheSiloAreUp()
    {
        var live = await silo.Http.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var ready = await silo.Http.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
        var checks = Checks(body);
        Assert.Equal("Healthy", checks["postgresql"].Status);
        Assert.Contains("reachable at 127.0.0.1:" + silo.Postgres.Port, checks["postgresql"].Description);
        Assert.Equal("Healthy", checks["orleans"].Status);
        Assert.Contains("active in cluster", checks["orleans"].Description);
    }

    [Fact]
    public async Task ReadyAnswers503WhilePostgresIsDownAndRecoversAfterItRestarts()
    {
        await silo.Postgres.StopAsync();
        try
        {
            var ready = await silo.Http.GetAsync("/health/ready");
            var body = await ready.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var checks = Checks(body);
            Assert.Equal("Unhealthy", checks["postgresql"].Status);
            Assert.Equal("Healthy", checks["orleans"].Status); // the silo itself is still in its cluster
            Assert.Equal(HttpStatusCode.OK, (await silo.Http.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            await silo.Postgres.StartAsync();
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        HttpStatusCode status;
        while ((status = (await silo.Http.GetAsync("/health/ready")).StatusCode) != HttpStatusCode.OK && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task MetricsExposeTheDsdrInstrumentsAfterASimulatedTrial()
    {
        var text = await silo.Http.GetStringAsync("/metrics");
        Assert.Contains("service_name=\"dsdr-worker\"", text);
        Assert.True(Value(text, "dsdr_trials_ended_total", "outcome=\"completed\"") >= 1, text);
        Assert.True(Value(text, "dsdr_trial_steps_total") >= SiloWithPostgres.TrialSteps, text);
        Assert.Equal(1, Value(text, "dsdr_slots", "state=\"idle\""));
        Assert.Equal(0, Value(text, "dsdr_slots", "state=\"busy\""));
        Assert.Equal(0, Value(text, "dsdr_queue_length"));
        Assert.Equal(0, Value(text, "dsdr_slots_utilization"));
        // The simulated runner reports metrics every step; each stored sample adds one lag observation.
        var lagCount = Value(text, "dsdr_ingest_lag_seconds_count");
        Assert.True(lagCount >= SiloWithPostgres.TrialSteps, text);
        Assert.Equal(lagCount, Value(text, "dsdr_ingest_stored_total"));
        Assert.True(Value(text, "dsdr_ingest_lag_seconds_sum") > 0, text);
        Assert.Equal(0, Value(text, "dsdr_ingest_buffered"));
    }

    [Fact]
    public void DoctorListsTheSilosSlotFromPostgres()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Dsdr.Cli.Program.Run(["doctor", "--connection", silo.ConnectionString], new CliIo(new StringReader(""), output, error));
        var report = output.ToString();
        Assert.True(exit == 0, report + error);
        Assert.Matches(@"(?m)^OK\s+PostgreSQL\s+reachable at 127\.0\.0\.1:\d+, database dsdr_silo_tests.*schema current", report);
        Assert.Matches(@"(?m)^OK\s+cluster slots\s+1 slot\(s\), 0 busy, 0 offline, 0 trial\(s\) queued.*from PostgreSQL.*ops/cpu:0 \(cpu, 2 GiB, idle\)", report);
    }

    private sealed record Check(string Status, string Description);

    private static Dictionary<string, Check> Checks(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(
            c => c.GetProperty("name").GetString()!,
            c => new Check(c.GetProperty("status").GetString()!, c.GetProperty("description").GetString() ?? ""));
    }

    /// <summary>The value of the Prometheus sample <paramref name="name"/> whose labels contain <paramref name="label"/>.</summary>
    private static double Value(string exposition, string name, string label = "")
    {
        var pattern = $@"(?m)^{Regex.Escape(name)}(\{{[^}}]*\}})? (\S+)";
        foreach (Match match in Regex.Matches(exposition, pattern))
        {
            if (label.Length > 0 && !match.Groups[1].Value.Contains(label, StringComparison.Ordinal)) continue;
            return double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        throw new Xunit.Sdk.XunitException($"no sample {name} {label} in:\n{exposition}");
    }
}
