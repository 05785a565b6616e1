using System.Diagnostics;
using System.Net;

namespace Dsdr.Silo.Tests;

/// <summary>The Dsdr.Silo program itself, started as a process: options, usage text, and its HTTP endpoints.</summary>
[Collection(SiloCollection.Name)]
public sealed class SiloProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Dsdr.Silo.dll in the silo project's own output folder (same configuration as this test assembly).</summary>
    private static string SiloDll()
    {
        var testFolder = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var framework = Path.GetFileName(testFolder);
        var configuration = Path.GetFileName(Path.GetDirectoryName(testFolder)!);
        var root = new DirectoryInfo(testFolder);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Dsdr.sln"))) root = root.Parent;
        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Dsdr.sln not found above " + testFolder),
            "src", "Dsdr.Silo", "bin", configuration, framework, "Dsdr.Silo.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build src/Dsdr.Silo first.", dll);
    }

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(SiloDll());
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment.Remove("DSDR_PG");
        start.Environment.Remove("ConnectionStrings__Dsdr");
        return Process.Start(start)!;
    }

    [Fact]
    public async Task BadHttpPortExitsTwoWithTheUsageText()
    {
        using var process = Start("--http-port", "0");
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        Assert.Equal(2, process.ExitCode);
        var text = await error;
        Assert.Contains("--http-port: '0' is not a port number (1–65535).", text);
        Assert.Contains("--http-port N           health and metrics", text);
    }

    [Fact]
    public async Task ServesHealthAndMetricsOnItsHttpPort()
    {
        var httpPort = Ports.Free();
        var checkpoints = Path.Combine(Path.GetTempPath(), $"dsdr-silo-proc-{Guid.NewGuid():N}");
        using var process = Start("--in-memory", "--simulated", "--node", "proc", "--devices", "cpu:2", "--cpu-memory-gib", "1",
            "--silo-port", Ports.Free().ToString(), "--gateway-port", Ports.Free().ToString(), "--http-port", httpPort.ToString(),
            "--checkpoints", checkpoints);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(10) };
            var deadline = DateTime.UtcNow + Timeout;
            HttpStatusCode? ready = null;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                try
                {
                    ready = (await http.GetAsync("/health/ready")).StatusCode;
                    if (ready == HttpStatusCode.OK) break;
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
                await Task.Delay(250);
            }
            Assert.True(ready == HttpStatusCode.OK, $"ready: {ready}; exited: {process.HasExited}");
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);

            // The scheduler publishes both CPU slots once their first heartbeats arrive.
            string metrics = "";
            while (DateTime.UtcNow < deadline && !metrics.Contains("dsdr_slots{otel_scope_name=\"Dsdr\",state=\"idle\"} 2", StringComparison.Ordinal))
            {
                metrics = await http.GetStringAsync("/metrics");
                await Task.Delay(250);
            }
            Assert.Contains("dsdr_slots{otel_scope_name=\"Dsdr\",state=\"idle\"} 2", metrics);
            Assert.Contains("dsdr_queue_length{otel_scope_name=\"Dsdr\"} 0", metrics);
            Assert.Contains("service_name=\"dsdr-worker\"", metrics);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(Timeout);
            if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        }
        Assert.Contains($"health and metrics on http://*:{httpPort}", await error);
        _ = await output;
    }
}
