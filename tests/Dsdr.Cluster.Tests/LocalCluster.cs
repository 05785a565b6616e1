using System.Diagnostics;
using System.Reflection;
using System.Text;
using Dapper;
using Dsdr.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;

namespace Dsdr.Cluster.Tests;

/// <summary>What one run of deploy/local/cluster.sh printed and how it ended.</summary>
public sealed record ScriptResult(int ExitCode, string Output)
{
    public override string ToString() => $"exit {ExitCode}:\n{Output}";
}

/// <summary>
/// A cluster started by deploy/local/cluster.sh in a folder of its own: a PostgreSQL server and Dsdr.Silo worker
/// processes (this configuration's build output), joined through the membership table.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    /// <summary>The cluster id cluster.sh gives its workers (DSDR_CLUSTER_ID, default "dsdr").</summary>
    public const string ClusterId = "dsdr";

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(4);
    private bool _stopped;

    private LocalCluster(string directory, int workers, IReadOnlyDictionary<string, string> environment)
    {
        Directory = directory;
        Workers = workers;
        ConnectionString = environment["DSDR_PG"];
        WebUrl = environment.TryGetValue("DSDR_URL", out var url) ? new Uri(url) : null;
        ApiKey = environment.GetValueOrDefault("DSDR_API_KEY");
    }

    public string Directory { get; }
    public int Workers { get; }
    public string ConnectionString { get; }
    /// <summary>The web host (REST API), when this build's Dsdr.Web has cluster mode; null otherwise.</summary>
    public Uri? WebUrl { get; }
    /// <summary>The X-Api-Key the web host requires on mutating routes.</summary>
    public string? ApiKey { get; }

    /// <summary>Node names of the workers: worker-1 … worker-N.</summary>
    public IEnumerable<string> Nodes => Enumerable.Range(1, Workers).Select(i => $"worker-{i}");

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Release or Debug: the workers run the Dsdr.Silo built with this test project.</summary>
    public static string Configuration { get; } = typeof(LocalCluster).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "Configuration").Value!;

    /// <summary>Runs cluster.sh with <paramref name="args"/> (stdout and stderr together).</summary>
    public static async Task<ScriptResult> RunScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot, "deploy", "local", "cluster.sh"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start bash.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"cluster.sh {string.Join(' ', args)} did not finish within {ScriptTimeout}:\n{output}");
        }
        process.WaitForExit(); // drains the output events
        lock (output) return new ScriptResult(process.ExitCode, output.ToString());
    }

    /// <summary>Starts PostgreSQL and <paramref name="workers"/> workers (simulated runner) and waits until every worker is Active.</summary>
    public static async Task<LocalCluster> StartAsync(int workers, string? directory = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "dsdr-cluster-tests", Guid.NewGuid().ToString("N")[..12]);
        var result = await RunScriptAsync("start", "--workers", workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--simulated", "--dir", directory, "--no-build", "-c", Configuration);
        var environment = result.ExitCode == 0 ? ReadEnvironment(directory) : new Dictionary<string, string>();
        if (!environment.ContainsKey("DSDR_PG"))
        {
            await RunScriptAsync("stop", "--dir", directory);
            throw new InvalidOperationException($"cluster.sh start failed ({result})");
        }
        return new LocalCluster(directory, workers, environment);
    }

    public Task<ScriptResult> RunAsync(string command) => RunScriptAsync(command, "--dir", Directory);

    public int PidOf(string node) => int.Parse(File.ReadAllText(Path.Combine(Directory, "run", $"{node}.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    public (int Silo, int Gateway) PortsOf(string node)
    {
        var parts = File.ReadAllText(Path.Combine(Directory, "run", $"{node}.ports")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    public string LogOf(string node) => Path.Combine(Directory, "logs", $"{node}.log");

    /// <summary>The membership rows of the worker listening on <paramref name="siloPort"/> (one per generation), oldest first.</summary>
    public async Task<List<MembershipRow>> MembershipOfAsync(int siloPort)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return (await connection.QueryAsync<MembershipRow>(
            """
            SELECT silo_address AS SiloAddress, status AS Status, suspect_times::text AS SuspectTimes, start_time AS StartTime
            FROM orleans_membership WHERE cluster_id = @cluster AND silo_address LIKE @pattern ORDER BY start_time
            """, new { cluster = ClusterId, pattern = $"%:{siloPort}@%" })).AsList();
    }

    /// <summary>An Orleans client of this cluster that finds its gateways in the PostgreSQL membership table.</summary>
    public async Task<IHost> ConnectClientAsync()
    {
        var database = new DsdrDatabaseOptions { ConnectionString = ConnectionString };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ClusterId; });
            client.Services.AddDsdrStorage(database);
            client.UseDsdrClustering();
        });
        var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return host;
    }

    /// <summary>cluster.sh stop: SIGTERM to the workers, then PostgreSQL. Throws when the script fails.</summary>
    public async Task<ScriptResult> StopAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var result = await RunAsync("stop");
        _stopped = true;
        if (result.ExitCode != 0) throw new InvalidOperationException($"cluster.sh stop failed ({result})");
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            try { await StopAsync(); } catch (Exception) { /* the test's own failure is what matters */ }
        }
    }

    /// <summary>The <c>export NAME='value'</c> lines of the cluster.env that cluster.sh writes.</summary>
    private static Dictionary<string, string> ReadEnvironment(string directory)
    {
        var env = Path.Combine(directory, "cluster.env");
        if (!File.Exists(env)) return [];
        return File.ReadLines(env)
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, "^export ([A-Za-z_][A-Za-z0-9_]*)='(.*)'$"))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dsdr.sln")) && File.Exists(Path.Combine(dir.FullName, "deploy", "local", "cluster.sh")))
                return dir.FullName;
        throw new InvalidOperationException($"No Dsdr checkout (Dsdr.sln with deploy/local/cluster.sh) above {AppContext.BaseDirectory}.");
    }
}

/// <summary>One row of orleans_membership; <see cref="Status"/> is Orleans' SiloStatus (3 Active, 6 Dead).</summary>
public sealed record MembershipRow(string SiloAddress, int Status, string? SuspectTimes, DateTime StartTime)
{
    public const int Active = 3;
    public const int Dead = 6;
}
