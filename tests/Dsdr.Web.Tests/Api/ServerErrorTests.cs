using System.Net;
using System.Net.Sockets;
using System.Text;
using Dsdr.Web.Api;
using Dsdr.Web.Hosting;

namespace Dsdr.Web.Tests.Api;

/// <summary>
/// Errors the server itself produces, through real Kestrel (the test server has no request-line limits): an over-long
/// URL, a NUL in the path or a query value, an unknown route, a wrong method, a request line beyond Kestrel's own limit —
/// each a problem-details document, not an empty body.
/// </summary>
[Collection(WebApiCollection.Name)]
public sealed class ServerErrorTests(WebApiFixture web)
{
    private async Task<DsdrWebServer> StartAsync() => await DsdrWebApp.StartAsync(new DsdrWebOptions
    {
        Urls = "http://127.0.0.1:0",
        ConnectionString = await web.NewDatabaseAsync(),
        Simulated = true,
        SiloPort = WebApiFixture.FreePort(),
        GatewayPort = WebApiFixture.FreePort(),
        ApiKey = WebApiFixture.ApiKey,
        CheckpointDirectory = Path.Combine(web.Scratch, "server-errors-checkpoints"),
        DataDirectory = Path.Combine(web.Scratch, "server-errors", "postgres"),
    });

    /// <summary>Sends <paramref name="target"/> as written (no client-side escaping) and returns the status line and the body.</summary>
    private static async Task<(int Status, string ContentType, string Body)> RawGetAsync(Uri server, string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var stream = tcp.GetStream();
        var request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {server.Authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        var headEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = response[..headEnd];
        var status = int.Parse(head.Split(' ')[1]);
        var contentType = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?.Split(':', 2)[1].Trim() ?? "";
        return (status, contentType, response[(headEnd + 4)..]);
    }

    [Fact]
    public async Task Server_made_errors_are_problem_details()
    {
        await using var server = await StartAsync();
        var uri = new Uri(server.Url);

        // over ~8 KB: 414 (it was Kestrel's, with an empty body)
        var longUrl = await RawGetAsync(uri, "/api/sweeps?limit=" + new string('9', 10_000));
        Assert.Equal(414, longUrl.Status);
        Assert.StartsWith("application/problem+json", longUrl.ContentType);
        Assert.Contains($"at most {RequestLimits.MaxUrlBytes}", longUrl.Body);

        // what Kestrel refuses itself, before any middleware: a NUL in the path, a request line beyond its 64 KiB
        var nulPath = await RawGetAsync(uri, "/api/sweeps/%00");
        Assert.Equal(400, nulPath.Status);
        Assert.StartsWith("application/problem+json", nulPath.ContentType);
        Assert.Contains("%00", System.Text.Json.JsonDocument.Parse(nulPath.Body).RootElement.GetProperty("detail").GetString());
        var beyondKestrel = await RawGetAsync(uri, "/api/sweeps?limit=" + new string('9', RequestLimits.KestrelRequestLineBytes + 10));
        Assert.Equal(414, beyondKestrel.Status);
        Assert.StartsWith("application/problem+json", beyondKestrel.ContentType);
        Assert.Equal(414, System.Text.Json.JsonDocument.Parse(beyondKestrel.Body).RootElement.GetProperty("status").GetInt32());

        // %00 in a query value reaches the route, which names the parameter
        var nulQuery = await RawGetAsync(uri, "/api/sweeps?limit=%00");
        Assert.Equal(400, nulQuery.Status);
        Assert.Contains("\"parameter\":\"limit\"", nulQuery.Body);

        var missing = await RawGetAsync(uri, "/api/no-such-route");
        Assert.Equal(404, missing.Status);
        Assert.StartsWith("application/problem+json", missing.ContentType);

        using var client = new HttpClient { BaseAddress = uri };
        var wrongMethod = await client.DeleteAsync("/api/sweeps");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal("application/problem+json", wrongMethod.Content.Headers.ContentType?.MediaType);

        // a probe on the node itself sees the details
        var ready = await client.GetStringAsync("/health/ready");
        Assert.Contains("reachable at", ready);
    }
}
