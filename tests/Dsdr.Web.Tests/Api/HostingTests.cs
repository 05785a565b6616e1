using System.Net;
using Dsdr.Web.Hosting;
using Dsdr.Web.Services;
using Microsoft.Extensions.DependencyInjection;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>The web host's options, its API key, and the in-process start the CLI uses.</summary>
public sealed class HostingOptionsTests
{
    [Fact]
    public void The_command_line_defaults_to_a_single_node_on_port_5080_with_one_cpu_slot()
    {
        var options = DsdrWebOptions.Parse([]);
        Assert.Equal((WebMode.SingleNode, "http://localhost:5080", "local", false), (options.Mode, options.Urls, options.Node, options.Simulated));
        Assert.Equal(["cpu:0"], options.Devices.Select(d => d.Name));
    }

    [Fact]
    public void Flags_and_configuration_pairs_are_read()
    {
        var options = DsdrWebOptions.Parse(["--devices", "cpu:3", "--simulated", "--simulated-step-ms", "7", "--node", "box", "--urls", "http://127.0.0.1:0",
            "--silo-port", "12000", "--gateway-port", "31000", "--data-dir", "/tmp/x/pg", "--Dsdr:ApiKey=0123456789abcdef0123"]);
        Assert.Equal(["cpu:0", "cpu:1", "cpu:2"], options.Devices.Select(d => d.Name));
        Assert.Equal((true, 7, "box", "http://127.0.0.1:0", 12000, 31000, "/tmp/x/pg", "0123456789abcdef0123"),
            (options.Simulated, options.SimulatedStepMilliseconds, options.Node, options.Urls, options.SiloPort, options.GatewayPort,
                options.DataDirectory, options.ApiKey));
        var silo = options.ToSiloOptions();
        Assert.Equal(("box", 12000, 31000, 3), (silo.Node, silo.SiloPort, silo.GatewayPort, silo.Devices.Count));
    }

    [Theory]
    [InlineData(new[] { "--bogus" }, "--bogus")]
    [InlineData(new[] { "--devices" }, "--devices needs a value")]
    [InlineData(new[] { "--devices", "tpu:1" }, "--devices")]
    [InlineData(new[] { "--devices", "cuda:0" }, "--gpu-memory-gib")]
    [InlineData(new[] { "--silo-port", "70000" }, "--silo-port")]
    [InlineData(new[] { "--simulated-step-ms", "-5" }, "--simulated-step-ms")]
    [InlineData(new[] { "--node", "a/b" }, "--node")]
    [InlineData(new[] { "--urls", "ftp://x" }, "--urls")]
    [InlineData(new[] { "--silo-port", "30000" }, "--gateway-port")]
    [InlineData(new[] { "--Dsdr:ApiKey=short" }, "at least 16")]
    [InlineData(new[] { "--Dsdr:Mode=swarm" }, "Dsdr:Mode")]
    [InlineData(new[] { "--Dsdr:Simulated=yes" }, "--simulated")]
    public void A_bad_option_throws_naming_it(string[] args, string named)
    {
        var ex = Assert.Throws<ArgumentException>(() => DsdrWebOptions.Parse(args));
        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void Cluster_mode_needs_the_shared_database_and_an_api_key()
    {
        var noDatabase = Assert.Throws<ArgumentException>(() =>
            DsdrWebOptions.Parse(["--cluster", "--Dsdr:ApiKey=0123456789abcdef0123", "--DSDR_PG="]));
        Assert.Contains("ConnectionStrings:Dsdr", noDatabase.Message);
        var noKey = Assert.Throws<ArgumentException>(() => DsdrWebOptions.Parse(["--cluster", "--ConnectionStrings:Dsdr=Host=db"]));
        Assert.Contains("Dsdr:ApiKey", noKey.Message);
        var ok = DsdrWebOptions.Parse(["--cluster", "--cluster-id", "c1", "--ConnectionStrings:Dsdr=Host=db", "--Dsdr:ApiKey=0123456789abcdef0123"]);
        Assert.Equal((WebMode.Cluster, "c1", "Host=db"), (ok.Mode, ok.ClusterId, ok.ConnectionString));
    }

    [Fact]
    public void A_single_node_without_a_key_generates_one_beside_the_data_folder_and_keeps_it()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"dsdr-key-{Guid.NewGuid():N}");
        try
        {
            var options = new DsdrWebOptions { DataDirectory = Path.Combine(folder, "postgres") };
            var first = ApiKey.Resolve(options);
            Assert.Equal((ApiKeySource.Generated, Path.Combine(folder, "api-key")), (first.Source, first.FilePath));
            Assert.Equal(64, first.Value.Length);
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.FilePath!));

            var second = ApiKey.Resolve(options);
            Assert.Equal((ApiKeySource.Saved, first.Value), (second.Source, second.Value));
            Assert.True(second.Matches(first.Value));
            Assert.False(second.Matches(first.Value[..^1]));
            Assert.False(second.Matches(null));
            Assert.DoesNotContain(first.Value, first.ToString());

            var configured = ApiKey.Resolve(options with { ApiKey = "configured-key-0123456789" });
            Assert.Equal((ApiKeySource.Configured, "configured-key-0123456789"), (configured.Source, configured.Value));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary><see cref="DsdrWebApp.StartAsync"/> as <c>dsdr serve</c> uses it: real Kestrel on a free port, the silo in-process.</summary>
[Collection(WebApiCollection.Name)]
public sealed class InProcessHostTests(WebApiFixture web)
{
    [Fact]
    public async Task StartAsync_listens_on_a_free_port_runs_a_sweep_and_stops()
    {
        var options = new DsdrWebOptions
        {
            Urls = "http://127.0.0.1:0",
            ConnectionString = await web.NewDatabaseAsync(),
            Simulated = true,
            SimulatedStepMilliseconds = 2,
            SiloPort = WebApiFixture.FreePort(),
            GatewayPort = WebApiFixture.FreePort(),
            CheckpointDirectory = Path.Combine(web.Scratch, "in-process-checkpoints"),
            DataDirectory = Path.Combine(web.Scratch, "in-process", "postgres"),
        };
        await using var server = await DsdrWebApp.StartAsync(options);

        Assert.Matches(@"^http://127\.0\.0\.1:\d+$", server.Url);
        Assert.DoesNotContain(":0", server.Url[^2..]);
        Assert.Equal(ApiKeySource.Generated, server.ApiKey.Source); // no key configured: generated beside the data folder
        Assert.True(File.Exists(Path.Combine(web.Scratch, "in-process", "api-key")));

        using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/sweeps", Json(Spec("in-process", steps: 3, arms: "\"grpo\"", seeds: "0")))).StatusCode);
        client.DefaultRequestHeaders.Add("X-Api-Key", server.ApiKey.Value);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/sweeps", Json(Spec("in-process", steps: 3, arms: "\"grpo\"", seeds: "0")))).StatusCode);
        var done = await WaitForSweepAsync(client, "in-process", s => s.Sweep.Status == "completed", "the in-process sweep to complete");
        Assert.Equal(3, done.Trials.Single().Step);
        Assert.NotNull(server.Services.GetService<IDsdrPlatform>());
    }
}
