using Dsdr.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dsdr.Deploy.Tests;

/// <summary>
/// A process environment as Host.CreateApplicationBuilder sees it: every variable as a configuration key ("__" → ":"),
/// and the DOTNET_-prefixed ones also without their prefix (the host's configuration).
/// </summary>
public static class EnvironmentConfiguration
{
    public static IConfiguration From(IReadOnlyDictionary<string, string> environment)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in environment)
        {
            keys[name.Replace("__", ":", StringComparison.Ordinal)] = value;
            if (name.StartsWith("DOTNET_", StringComparison.OrdinalIgnoreCase))
                keys[name["DOTNET_".Length..].Replace("__", ":", StringComparison.Ordinal)] = value;
        }
        return new ConfigurationBuilder().AddInMemoryCollection(keys).Build();
    }

    /// <summary>The connection string Dsdr.Storage reads from this environment (null: it would start the embedded server).</summary>
    public static string? DatabaseConnectionString(IReadOnlyDictionary<string, string> environment) =>
        DsdrDatabaseOptions.FromConfiguration(From(environment)).ConnectionString;

    /// <summary>The stop timeout a .NET host started with this environment uses.</summary>
    public static TimeSpan HostShutdownTimeout(IReadOnlyDictionary<string, string> environment)
    {
        var configuration = new ConfigurationManager();
        configuration.AddConfiguration(From(environment));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Configuration = configuration });
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
    }
}
