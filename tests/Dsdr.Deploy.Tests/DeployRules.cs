using Dsdr.Contracts;
using Dsdr.Core.Sweeps;
using Dsdr.Silo;
using Dsdr.Web.Hosting;
using Microsoft.Extensions.Configuration;

namespace Dsdr.Deploy.Tests;

/// <summary>Checks shared by compose, Kubernetes and systemd: each returns the problems it finds (none: fine).</summary>
public static class DeployRules
{
    /// <summary>A worker's command line, read by Dsdr.Silo's own parser; null with a problem when it rejects it.</summary>
    public static DsdrSiloOptions? ParseWorker(string where, IReadOnlyList<string> args, List<string> problems)
    {
        try
        {
            var options = DsdrSiloOptions.Parse(args);
            if (options.Mode != SiloMode.Cluster) problems.Add($"{where}: the worker does not pass --cluster (it would run alone on an embedded database).");
            return options;
        }
        catch (ArgumentException ex)
        {
            problems.Add($"{where}: Dsdr.Silo rejects its arguments [{string.Join(' ', args)}]: {ex.Message}");
            return null;
        }
    }

    /// <summary>GPU workloads list CUDA slots only, CPU workloads CPU slots only.</summary>
    public static void CheckDevices(string where, DsdrSiloOptions options, bool gpu, List<string> problems)
    {
        var wrong = options.Devices.Where(d => (d.Kind == DeviceKind.Cuda) != gpu).Select(d => d.Name).ToList();
        if (wrong.Count > 0)
            problems.Add($"{where}: a {(gpu ? "GPU" : "CPU")} worker lists {string.Join(", ", wrong)}.");
    }

    /// <summary>
    /// The web host's command line and environment, read by Dsdr.Web's own options (as DsdrWebApp does): cluster mode,
    /// the database given, an API key, and listening on <paramref name="port"/> through ASPNETCORE_HTTP_PORTS.
    /// </summary>
    public static void CheckWeb(string where, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, int port, List<string> problems)
    {
        DsdrWebOptions options;
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddConfiguration(EnvironmentConfiguration.From(environment))
                .AddCommandLine([.. DsdrWebOptions.ToConfigurationArguments(args)])
                .Build();
            options = DsdrWebOptions.FromConfiguration(configuration, includeEnvironment: false);
            if (configuration["http_ports"] != port.ToString(System.Globalization.CultureInfo.InvariantCulture))
                problems.Add($"{where}: the web host would not listen on {port} ({Conventions.HttpPortsVariable} is '{configuration["http_ports"]}').");
        }
        catch (ArgumentException ex)
        {
            problems.Add($"{where}: Dsdr.Web rejects its arguments/environment [{string.Join(' ', args)}]: {ex.Message}");
            return;
        }
        if (options.Mode != WebMode.Cluster) problems.Add($"{where}: the web host is not in cluster mode (--cluster): it would run its own silo.");
    }

    public static void CheckEnvironmentNames(string where, IEnumerable<string> names, IReadOnlySet<string> known, List<string> problems)
    {
        foreach (var name in names.Where(n => !known.Contains(n)))
            problems.Add($"{where}: environment variable {name} is not one the code reads (known: {string.Join(", ", known.Order())}).");
    }

    /// <summary>The database reaches Dsdr.Storage: its configuration yields exactly this connection string.</summary>
    public static void CheckDatabase(string where, IReadOnlyDictionary<string, string> environment, List<string> problems)
    {
        var expected = environment.GetValueOrDefault(Conventions.DatabaseVariable) ?? environment.GetValueOrDefault(Conventions.ConnectionStringVariable);
        if (expected is null)
        {
            problems.Add($"{where}: sets neither {Conventions.DatabaseVariable} nor {Conventions.ConnectionStringVariable}; a cluster needs its shared PostgreSQL.");
            return;
        }
        var read = EnvironmentConfiguration.DatabaseConnectionString(environment);
        if (read != expected) problems.Add($"{where}: Dsdr.Storage reads the connection string '{read}', not the one set ('{expected}').");
    }

    /// <summary>A stopping worker has time to checkpoint: the host's stop timeout is raised and ends before the kill.</summary>
    public static void CheckStopTimeouts(string where, IReadOnlyDictionary<string, string> environment, TimeSpan? killAfter, List<string> problems)
    {
        var host = EnvironmentConfiguration.HostShutdownTimeout(environment);
        if (host <= TimeSpan.FromSeconds(30))
            problems.Add($"{where}: the host stops after {host.TotalSeconds} s (set {Conventions.ShutdownTimeoutVariable}); a trial may not finish its checkpoint.");
        if (killAfter is null) problems.Add($"{where}: no stop grace period is set.");
        else if (killAfter <= host)
            problems.Add($"{where}: the process is killed after {killAfter.Value.TotalSeconds} s, before the host's stop timeout of {host.TotalSeconds} s.");
    }

    public static void CheckHealthUrl(string where, string command, int port, string path, List<string> problems)
    {
        var url = $"http://localhost:{port}{path}";
        if (!command.Contains(url, StringComparison.Ordinal)) problems.Add($"{where}: the health check does not ask {url} ({command}).");
    }
}
