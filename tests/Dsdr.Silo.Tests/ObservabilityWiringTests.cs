using System.Net;
using Dsdr.Silo.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace Dsdr.Silo.Tests;

/// <summary>AddDsdrMetrics as the web host will use it: OTLP export only when OTEL_EXPORTER_OTLP_ENDPOINT is set.</summary>
[Collection(SiloCollection.Name)]
public sealed class ObservabilityWiringTests
{
    [Fact]
    public async Task PushesMetricsOverOtlpWhenTheEndpointIsConfigured()
    {
        var port = Ports.Free();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = collector.GetContextAsync();

        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [DsdrObservabilityExtensions.OtlpEndpointVariable] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
        });
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(Ports.Free()));
        builder.AddDsdrMetrics("dsdr-test");
        await using var app = builder.Build();
        app.MapDsdrMetrics();
        await app.StartAsync();
        try
        {
            var context = await received.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal("POST", context.Request.HttpMethod);
            Assert.Equal("/v1/metrics", context.Request.Url!.AbsolutePath);
            Assert.Equal("application/x-protobuf", context.Request.ContentType);
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public void HealthAndMetricsPathsAreTheProjectsConventions()
    {
        Assert.Equal(("/health/live", "/health/ready", "/metrics", "Dsdr"),
            (DsdrObservabilityExtensions.LivePath, DsdrObservabilityExtensions.ReadyPath, DsdrObservabilityExtensions.MetricsPath, DsdrObservabilityExtensions.MeterName));
        Assert.Equal(DsdrObservabilityExtensions.MeterName, Dsdr.Grains.DsdrGrainMetrics.MeterName);
        Assert.Equal(DsdrObservabilityExtensions.MeterName, Dsdr.Storage.Ingest.IngestMetrics.MeterName);
    }
}
