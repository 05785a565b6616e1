using System.Net;
using System.Net.Sockets;
using Dsdr.Cli.Platform;

namespace Dsdr.Cli.Tests;

/// <summary>One real single-node platform (embedded PostgreSQL, silo with the simulated runner, API) for the client tests.</summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    private IPlatformSession? _session;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "dsdr-cli-tests", Guid.NewGuid().ToString("N"));

    internal IPlatformSession Session => _session ?? throw new InvalidOperationException("The platform has not started.");

    public string Url => Session.Url.ToString();

    public string ApiKey => Session.ApiKey;

    public async Task InitializeAsync() =>
        _session = await WebPlatform.StartAsync(SimulatedOptions(DataDirectory), CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_session is not null) await _session.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // PostgreSQL may still be releasing its files; the folder is under /tmp
        }
    }

    /// <summary>A free port on free loopback addresses, for Kestrel (port 0) and for the silo and gateway (picked here).</summary>
    internal static PlatformOptions SimulatedOptions(string dataDirectory) =>
        new("http://127.0.0.1:0", "cpu:2", dataDirectory, Simulated: true, SiloPort: FreePort(), GatewayPort: FreePort(), SimulatedStepMilliseconds: 5);

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
