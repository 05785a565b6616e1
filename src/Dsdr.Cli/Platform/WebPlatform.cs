using Dsdr.Web.Hosting;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dsdr.Cli.Platform;

/// <summary>The single-node platform as web/Dsdr.Web hosts it (<see cref="DsdrWebApp"/>), in this process.</summary>
internal sealed class WebPlatform(WebApplication app, Uri url, string apiKey) : IPlatformSession
{
    private int _stopped;

    public Uri Url => url;

    public string ApiKey => apiKey;

    public IDsdrPlatform Platform { get; } = app.Services.GetRequiredService<IDsdrPlatform>();

    /// <summary>The command line <see cref="DsdrWebApp.Build"/> reads for <paramref name="options"/> (configuration keys as --key=value).</summary>
    internal static string[] Arguments(PlatformOptions options)
    {
        var args = new List<string>
        {
            $"--urls={options.Urls}",
            $"--Dsdr:DataDirectory={Path.Combine(options.DataDirectory, "postgres")}",
            $"--Dsdr:Checkpoints={Path.Combine(options.DataDirectory, "checkpoints")}",
            $"--Dsdr:Devices={options.Devices}",
            $"--Dsdr:Simulated={(options.Simulated ? "true" : "false")}",
        };
        if (options.ConnectionString is { } connection) args.Add($"--ConnectionStrings:Dsdr={connection}");
        if (options.ApiKey is { } key) args.Add($"--Dsdr:ApiKey={key}");
        return [.. args];
    }

    public static async Task<IPlatformSession> StartAsync(PlatformOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var app = DsdrWebApp.Build(Arguments(options));
        try
        {
            await app.StartAsync(cancellationToken);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var first = addresses.FirstOrDefault() ?? options.Urls.Split(';')[0];
            var url = new Uri(first.Replace("://[::]", "://localhost", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
                .TrimEnd('/') + "/");
            var key = app.Configuration["Dsdr:ApiKey"]
                ?? throw new InvalidOperationException("the web host started without an API key (Dsdr:ApiKey).");
            return new WebPlatform(app, url, key);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await app.StopAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await app.DisposeAsync();
    }
}
