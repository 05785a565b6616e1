using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dsdr.Storage;
using Dsdr.Storage.Embedded;
using Dsdr.Web.Api;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace Dsdr.Web.Tests.Api;

/// <summary>
/// One embedded PostgreSQL (ephemeral) for the API tests, and one web host on it made by WebApplicationFactory&lt;Program&gt;:
/// single node, co-hosted silo on free ports, two CPU slots on the simulated runner (5 ms steps), a fixed API key.
/// </summary>
public sealed class WebApiFixture : IAsyncLifetime
{
    public const string ApiKey = "test-key-0123456789abcdef";
    private const string TemplateDatabase = "dsdr_web_template";
    private int _databases;

    public EmbeddedPostgres Server { get; private set; } = null!;
    public DsdrWebFactory Factory { get; private set; } = null!;
    public string ConnectionString { get; private set; } = null!;
    public string Scratch { get; } = Path.Combine(Path.GetTempPath(), $"dsdr-web-tests-{Guid.NewGuid():N}");

    public async Task InitializeAsync()
    {
        Server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(Scratch, "pg"),
            Database = TemplateDatabase,
            Ephemeral = true,
        });
        await using (var template = DsdrDatabase.FromConnectionString(Server.ConnectionStringFor(TemplateDatabase)))
            await template.GetDataSourceAsync(); // migrates the template once
        ConnectionString = await NewDatabaseAsync();
        Factory = new DsdrWebFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Dsdr"] = ConnectionString,
            ["Dsdr:ApiKey"] = ApiKey,
            ["Dsdr:Simulated"] = "true",
            ["Dsdr:SimulatedStepMilliseconds"] = "5",
            ["Dsdr:Devices"] = "cpu:2",
            ["Dsdr:SiloPort"] = FreePort().ToString(),
            ["Dsdr:GatewayPort"] = FreePort().ToString(),
            ["Dsdr:CheckpointDirectory"] = Path.Combine(Scratch, "checkpoints"),
            ["Dsdr:DataDirectory"] = Path.Combine(Scratch, "unused-embedded"),
            ["Dsdr:PoolSampleSeconds"] = "0.2",
        });
        using var client = Factory.CreateClient(); // starts the host: silo, slots, pool sampler
    }

    /// <summary>A fresh, migrated database on the shared server; returns its connection string.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"web_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await Server.CreateDatabaseAsync(name, template: TemplateDatabase);
        return Server.ConnectionStringFor(name);
    }

    public HttpClient Client(bool withKey = true)
    {
        var client = Factory.CreateClient();
        if (withKey) client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (Factory is not null) await Factory.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        if (Server is not null) await Server.DisposeAsync();
        try
        {
            Directory.Delete(Scratch, recursive: true);
        }
        catch (IOException)
        {
            // checkpoint files of a trial still being cancelled; the temp folder is cleaned by the OS
        }
    }

    /// <summary>A TCP port that was free a moment ago (bind to 0, read, release).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The web app with test settings given as host settings (so Program reads them while it builds).</summary>
public sealed class DsdrWebFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }
}

[CollectionDefinition(Name)]
public sealed class WebApiCollection : ICollectionFixture<WebApiFixture>
{
    public const string Name = "web-api";
}

/// <summary>Small helpers for the API tests.</summary>
public static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} answer is not JSON: {text}", ex);
        }
    }

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(ApiJson.Options))!;

    /// <summary>A spec of <paramref name="arms"/> × <paramref name="seeds"/> on Countdown, <paramref name="steps"/> steps, evaluated every <paramref name="evalEvery"/>.</summary>
    public static string Spec(string name, int steps = 20, int evalEvery = 10, string arms = "\"grpo\", \"dsdr\"", string seeds = "0, 1") => $$"""
        {
          // comments and trailing commas are fine
          "name": "{{name}}",
          "task": {"kind": "countdown", "numbers": 3},
          "model": {"preset": "countdown"},
          "base": {"totalSteps": {{steps}}},
          "arms": [{{arms}}],
          "seeds": [{{seeds}}],
          "eval": {"everySteps": {{evalEvery}}, "avgK": 4, "passKSamples": 4},
        }
        """;

    /// <summary>Polls until <paramref name="done"/> holds (or fails naming <paramref name="what"/>).</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, double seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        T value;
        while (!done(value = await read()))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {seconds} s for {what}; last: {JsonSerializer.Serialize(value, ApiJson.Options)}");
            await Task.Delay(100);
        }
        return value;
    }

    public static async Task<SweepDetails> WaitForSweepAsync(HttpClient client, string sweepId, Func<SweepDetails, bool> done, string what, double seconds = 60) =>
        await WaitForAsync(async () => await (await client.GetAsync($"/api/sweeps/{sweepId}")).ReadAsync<SweepDetails>(), done, what, seconds);
}
